% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level)
% if not tls.ok:
<p class="refused">{{tls.error}}</p>
% else:
<dl id="certificate" class="figures">
% for label, value in rows:
  <dt>{{label}}</dt><dd>{{value}}</dd>
% end
</dl>
% if can_change:
<h2>Install a certificate of your own</h2>
<p>The certificate (PEM, the server's first, then its intermediates) and its key (PEM, without a passphrase) are checked before the unit serves them, from the next connection on.</p>
<form id="tls-form" class="api-form" data-api-method="PUT" data-api-path="/api/v1/tls" data-then="reload" data-error-default="_form">
  <label>Certificate file <input type="file" name="certificate_file" data-fills="certificate" accept=".pem,.crt,.cer"></label>
  <label>Certificate (PEM) <textarea name="certificate" rows="6" cols="64" spellcheck="false"></textarea></label>
  <span class="error" data-for="certificate"></span>
  <label>Key file <input type="file" name="key_file" data-fills="key" accept=".pem,.key"></label>
  <label>Key (PEM) <textarea name="key" rows="6" cols="64" spellcheck="false"></textarea></label>
  <span class="error" data-for="key"></span>
  <button type="submit">Check and install</button>
  <span class="error" data-for="_form"></span>
</form>
% end
% end
