% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level)
% if not snmp.ok:
<p class="refused">{{snmp.error}}</p>
% else:
% settings = snmp.body.get('settings', {})
<dl id="snmp" class="figures">
% for label, value in rows:
  <dt>{{label}}</dt><dd>{{value}}</dd>
% end
</dl>
<h2>Communities (v2c)</h2>
<table id="communities"><thead><tr><th>Name</th><th>Sources</th></tr></thead><tbody>
% for community in settings.get('communities', []):
<tr><td>{{community.get('name')}}</td><td>{{', '.join(str(s) for s in community.get('sources', []))}}</td></tr>
% end
</tbody></table>
<h2>v3 users</h2>
<table id="v3-users"><thead><tr><th>Name</th><th>Passwords</th></tr></thead><tbody>
% for one in settings.get('users', []):
<tr><td>{{one.get('name')}}</td><td>{{one.get('auth_password')}}</td></tr>
% end
</tbody></table>
<h2>Notification receivers</h2>
<table id="receivers"><thead><tr><th>Host</th><th>Port</th><th>Community</th><th>v3 user</th></tr></thead><tbody>
% for receiver in settings.get('receivers', []):
<tr><td>{{receiver.get('host')}}</td><td>{{receiver.get('port')}}</td><td>{{receiver.get('community') or ''}}</td><td>{{receiver.get('user') or ''}}</td></tr>
% end
</tbody></table>
% if can_change:
<h2>Change the settings</h2>
<form id="snmp-form" class="api-form" data-api-method="PUT" data-api-path="/api/v1/snmp" data-then="reload" data-error-default="_form">
  <label>Contact <input name="contact" value="{{settings.get('contact', '')}}"></label>
  <span class="error" data-for="contact"></span>
  <label>Location <input name="location" value="{{settings.get('location', '')}}"></label>
  <span class="error" data-for="location"></span>
  <label>Storage alarm at (% full) <input name="storage_full_percent" data-type="int" value="{{settings.get('storage_full_percent', '')}}"></label>
  <span class="error" data-for="storage_full_percent"></span>
  <label>Licence warning (days before) <input name="license_warning_days" data-type="int" value="{{settings.get('license_warning_days', '')}}"></label>
  <span class="error" data-for="license_warning_days"></span>
  <button type="submit">Save</button>
  <span class="error" data-for="_form"></span>
</form>
<h2>Communities, v3 users and receivers</h2>
<p>Each list as JSON, replaced whole: a community is {"name", "sources": [networks]}, a v3 user {"name", "auth_password", "priv_password"} (the mask keeps a stored password), a receiver {"host", "port", and "community" or "user"}.</p>
<form id="snmp-lists-form" class="api-form" data-api-method="PUT" data-api-path="/api/v1/snmp" data-then="reload" data-error-default="_form">
% for name in ('communities', 'users', 'receivers'):
  <label>{{name}} <textarea name="{{name}}" data-type="json" rows="5" cols="64" spellcheck="false">{{lists[name]}}</textarea></label>
  <span class="error" data-for="{{name}}"></span>
% end
  <button type="submit">Save</button>
  <span class="error" data-for="_form"></span>
</form>
% else:
<p class="read-only">Your level may read the SNMP settings but not change them.</p>
% end
% end
