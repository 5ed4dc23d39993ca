"""The admin web page: server-rendered HTML from the API's own answers (web/subrequest.py),
one stylesheet and small plain JS files; every change goes through the REST API."""
