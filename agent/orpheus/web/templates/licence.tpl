% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level)
% if not licence.ok:
<p class="refused">{{licence.error}}</p>
% else:
% body = licence.body
<dl class="figures">
  <dt>Tier</dt><dd id="tier">{{body.get('tier_title')}}</dd>
  <dt>Licence</dt><dd>{{body.get('license_id') or 'none (the board\'s own tier)'}}</dd>
  <dt>Add-ons</dt><dd>{{', '.join(str(a) for a in body.get('addons', [])) or 'none'}}</dd>
  <dt>Update support</dt><dd>until {{body.get('update_support_until') or '?'}} ({{body.get('update_support_days_left')}} days left)</dd>
  % if body.get('alarm'):
  <dt>Alarm</dt><dd class="refused">{{body.get('alarm')}}</dd>
  % end
</dl>
<table id="limits"><thead><tr><th>Limit</th><th>Used</th><th>Of</th><th></th></tr></thead><tbody>
% usage = body.get('usage', {})
% for name, limit in body.get('limits', {}).items():
% used = usage.get(name)
<tr><td>{{name}}</td><td>{{used if used is not None else ''}}</td><td>{{'unlimited' if limit is None else limit}}</td>
<td>
% if isinstance(limit, int) and not isinstance(limit, bool) and isinstance(used, int) and limit > 0:
<meter min="0" max="{{limit}}" value="{{min(used, limit)}}"></meter>
% end
</td></tr>
% end
</tbody></table>
% if can_change:
<h2>Install a licence</h2>
<form id="licence-form" class="file-json-form" data-api-method="PUT" data-api-path="/api/v1/license">
  <label>Licence file (.json) <input type="file" name="file" accept=".json,application/json"></label>
  <button type="submit">Install</button>
  <span class="error" data-for="_form"></span>
</form>
% end
% end
