% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level)
% if not storage.ok:
<p class="refused">{{storage.error}}</p>
% else:
<table id="targets"><thead><tr><th>Target</th><th>Kind</th><th>State</th><th>Filesystem</th><th>Size</th><th>Free</th><th>Recordings</th><th>Default</th><th>Last check</th><th></th></tr></thead><tbody>
% for target in targets:
<tr data-key="{{target['name']}}"><td>{{target['name']}}</td><td>{{target['kind']}}</td><td class="state">{{target['state']}}<br><small>{{target['message']}}</small></td><td>{{target['fs_type']}}</td><td>{{target['size']}}</td><td>{{target['free']}}</td><td>{{target['recordings']}}</td><td class="default">{{'yes' if target['default'] else ''}}</td><td>{{target['check']}}</td>
<td>
% if can_change:
% if not target['default']:
<button type="button" class="api-action make-default" data-api-method="PUT" data-api-path="/api/v1/storage/default" data-body='{"target": "{{target['name']}}"}'>Make default</button>
% end
% if target['kind'] == 'usb':
<button type="button" class="api-action check" data-api-method="POST" data-api-path="/api/v1/storage/{{target['name']}}/check">Check</button>
<button type="button" class="api-action eject" data-api-method="POST" data-api-path="/api/v1/storage/{{target['name']}}/eject" data-confirm="Eject {{target['name']}}? It can then be pulled out.">Eject</button>
% end
% if target['kind'] == 'nas':
<button type="button" class="api-action remove" data-api-method="DELETE" data-api-path="/api/v1/storage/{{target['name']}}" data-confirm="Remove {{target['name']}}? Its recordings stay on the NAS.">Remove</button>
% end
<span class="error" data-for="_form"></span>
% end
</td></tr>
% end
</tbody></table>
% if placement:
<h2>Recordings on their way</h2>
<dl id="placement" class="figures">
% for label, value in placement:
  <dt>{{label}}</dt><dd>{{value}}</dd>
% end
</dl>
% end
% if can_change:
<h2>Retention</h2>
<p>The oldest recordings of a target are deleted past an age or a size (each deletion audited); empty: no limit.</p>
% for target in targets:
<form id="retention-{{target['name']}}" class="api-form retention" data-api-method="PUT" data-api-path="/api/v1/storage/{{target['name']}}/retention" data-then="reload" data-error-default="_form">
  <label>{{target['name']}}: max age (days) <input name="max_age_days" data-type="int-or-null" value="{{target['max_age_days']}}"></label>
  <span class="error" data-for="max_age_days"></span>
  <label>{{target['name']}}: max size (bytes) <input name="max_bytes" data-type="int-or-null" value="{{target['max_bytes']}}"></label>
  <span class="error" data-for="max_bytes"></span>
  <button type="submit">Save</button>
  <span class="error" data-for="_form"></span>
</form>
% end
<h2>Add a NAS</h2>
<p>An NFS v4 export or an SMB share, mounted soft with bounded timeouts: a dead NAS never blocks calls. The SMB password is kept only in a root-only file.</p>
<form id="nas-form" class="api-form" data-api-method="POST" data-api-path="/api/v1/storage/nas" data-then="reload" data-error-default="_form">
  <label>Name <input name="name" placeholder="nas-office"></label>
  <span class="error" data-for="name"></span>
  <label>Kind <select name="kind">
% for kind in nas_kinds:
  <option value="{{kind}}">{{kind}}</option>
% end
  </select></label>
  <span class="error" data-for="kind"></span>
  <label>Host <input name="host"></label>
  <span class="error" data-for="host"></span>
  <label>Export or share <input name="share" placeholder="/srv/recordings or recordings"></label>
  <span class="error" data-for="share"></span>
  <label>SMB user <input name="username" data-optional autocomplete="off"></label>
  <span class="error" data-for="username"></span>
  <label>SMB password <input name="password" type="password" data-optional autocomplete="new-password"></label>
  <span class="error" data-for="password"></span>
  <label>SMB domain <input name="domain" data-optional></label>
  <span class="error" data-for="domain"></span>
  <label>Port (optional) <input name="port" data-type="int" data-optional></label>
  <span class="error" data-for="port"></span>
  <button type="submit">Add</button>
  <span class="error" data-for="_form"></span>
</form>
% else:
<p class="read-only">Your level may read the storage targets but not change them.</p>
% end
% end
