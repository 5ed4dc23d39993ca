% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level)
% import urllib.parse
<h2>Users</h2>
% if not users.ok:
<p class="refused">{{users.error}}</p>
% else:
<table id="users"><thead><tr><th>Name</th><th>Level</th><th>Enabled</th><th>Must change password</th><th></th></tr></thead><tbody>
% for one in users.body:
<tr><td>{{one.get('name')}}</td><td>{{one.get('level')}}</td><td>{{'yes' if one.get('enabled') else 'no'}}</td><td>{{'yes' if one.get('must_change_password') else 'no'}}</td>
<td>
% if can_change:
<a href="/users?edit={{urllib.parse.quote(one.get('name', ''), safe='')}}">Edit</a>
<button type="button" class="api-action" data-api-method="DELETE" data-api-path="/api/v1/users/{{urllib.parse.quote(one.get('name', ''), safe='')}}" data-confirm="Delete user {{one.get('name')}}?">Delete</button>
% end
</td></tr>
% end
</tbody></table>
% end
% level_names = [found.get('name') for found in levels.body] if levels.ok else []
% if can_change:
% if editing:
<h3>Edit user {{editing.get('name')}}</h3>
<form id="user-form" class="api-form" data-api-method="PUT" data-api-path="/api/v1/users/{{urllib.parse.quote(editing.get('name', ''), safe='')}}" data-then="/users" data-error-default="level">
  <label>New password <input name="password" type="password" data-optional autocomplete="new-password"></label>
  <span class="error" data-for="password"></span>
% else:
<h3>Add a user</h3>
<form id="user-form" class="api-form" data-api-method="POST" data-api-path="/api/v1/users" data-then="reload" data-error-default="name">
  <label>Name <input name="name"></label>
  <span class="error" data-for="name"></span>
  <label>Initial password <input name="password" type="password" autocomplete="new-password"></label>
  <span class="error" data-for="password"></span>
% end
  <label>Level <select name="level">
  % for name in level_names:
    <option value="{{name}}" {{'selected' if editing and editing.get('level') == name else ''}}>{{name}}</option>
  % end
  </select></label>
  <span class="error" data-for="level"></span>
  <label>Enabled <input type="checkbox" name="enabled" data-type="bool" {{'checked' if (editing is None or editing.get('enabled')) else ''}}></label>
  <span class="error" data-for="enabled"></span>
  <button type="submit">{{'Save' if editing else 'Add'}}</button>
  <span class="error" data-for="_form"></span>
</form>
% end
<h2>Levels</h2>
% if levels.ok:
<table id="levels"><thead><tr><th>Level</th>
% for area in areas:
<th>{{area}}</th>
% end
<th></th></tr></thead><tbody>
% for found in levels.body:
<tr><td>{{found.get('name')}}</td>
% for area in areas:
<td>{{found.get('rights', {}).get(area, 'none')}}</td>
% end
<td>
% if can_change and not found.get('builtin'):
<a href="/users?level={{urllib.parse.quote(found.get('name', ''), safe='')}}">Edit</a>
<button type="button" class="api-action" data-api-method="DELETE" data-api-path="/api/v1/levels/{{urllib.parse.quote(found.get('name', ''), safe='')}}" data-confirm="Delete level {{found.get('name')}}?">Delete</button>
% end
</td></tr>
% end
</tbody></table>
% else:
<p class="refused">{{levels.error}}</p>
% end
% if can_change:
% if edit_level:
<h3>Edit level {{edit_level.get('name')}}</h3>
<form id="level-form" class="api-form" data-api-method="PUT" data-api-path="/api/v1/levels/{{urllib.parse.quote(edit_level.get('name', ''), safe='')}}" data-then="/users" data-error-default="rights" data-nest="rights">
% else:
<h3>Add a level</h3>
<form id="level-form" class="api-form" data-api-method="POST" data-api-path="/api/v1/levels" data-then="reload" data-error-default="name" data-nest="rights">
  <label>Name <input name="name" data-top></label>
  <span class="error" data-for="name"></span>
% end
% for area in areas:
  <label>{{area}} <select name="{{area}}">
  % for choice in rights_choices:
    <option value="{{choice}}" {{'selected' if edit_level and edit_level.get('rights', {}).get(area) == choice else ''}}>{{choice}}</option>
  % end
  </select></label>
% end
  <span class="error" data-for="rights"></span>
  <button type="submit">{{'Save' if edit_level else 'Add'}}</button>
  <span class="error" data-for="_form"></span>
</form>
% end
