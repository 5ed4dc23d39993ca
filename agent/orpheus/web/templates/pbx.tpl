% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level)
% import urllib.parse
% shown_fields = [f for f in kind.fields if not f.secret]
% def text(value):
%   if isinstance(value, bool):
%     return 'yes' if value else 'no'
%   elif isinstance(value, list):
%     return ', '.join(str(item) for item in value)
%   elif isinstance(value, dict):
%     return ', '.join(f'{k}={v}' for k, v in value.items())
%   end
%   return '' if value is None else str(value)
% end
% if not listed.ok:
<p class="refused">{{listed.error}}</p>
% else:
<table id="records">
  <thead><tr>
  % for f in shown_fields:
    <th>{{f.name}}</th>
  % end
  % if can_change and not kind.singleton:
    <th></th>
  % end
  </tr></thead>
  <tbody>
  % for record in listed.body:
  % key = str(record.get(kind.key, ''))
  <tr data-key="{{key}}">
    % for f in shown_fields:
    <td>{{text(record.get(f.name))}}</td>
    % end
    % if can_change and not kind.singleton:
    <td>
      <a href="/pbx/{{kind.name}}?edit={{urllib.parse.quote(key, safe='')}}">Edit</a>
      <button type="button" class="api-action" data-api-method="DELETE" data-api-path="/api/v1/pbx/{{kind.name}}/{{urllib.parse.quote(key, safe='')}}" data-confirm="Delete {{kind.name}} {{key}}?">Delete</button>
    </td>
    % end
  </tr>
  % end
  </tbody>
</table>
% end
% if can_change:
% if kind.singleton:
<h2>Change the {{kind.name}} settings</h2>
<form id="record-form" class="api-form" data-api-method="PUT" data-api-path="/api/v1/pbx/{{kind.name}}/{{kind.name}}" data-then="reload" data-error-default="_form">
% elif editing:
<h2>Edit {{kind.name}} {{editing.get(kind.key, '')}}</h2>
<form id="record-form" class="api-form" data-api-method="PUT" data-api-path="/api/v1/pbx/{{kind.name}}/{{urllib.parse.quote(str(editing.get(kind.key, '')), safe='')}}" data-then="/pbx/{{kind.name}}" data-error-default="{{kind.key}}">
% else:
<h2>Add {{kind.name}}</h2>
<form id="record-form" class="api-form" data-api-method="POST" data-api-path="/api/v1/pbx/{{kind.name}}" data-then="reload" data-error-default="{{kind.key}}">
% end
  % for f in kind.fields:
  % value = '' if (editing is None or f.secret) else text(editing.get(f.name))
  % kind_of_input = 'bool' if f.type is bool else 'int' if f.type is int else 'list' if f.type is list else 'dict' if f.type is dict else 'text'
  % fixed = editing is not None and f.name == kind.key and not kind.singleton
  % if kind_of_input == 'bool':
  <label>{{f.name}} <input type="checkbox" name="{{f.name}}" data-type="bool" {{'checked' if editing and editing.get(f.name) else ''}}></label>
  % else:
  <label>{{f.name}} <input name="{{f.name}}" data-type="{{kind_of_input}}" type="{{'password' if f.secret else 'text'}}" value="{{value}}" {{'disabled' if fixed else ''}} {{'data-optional' if (editing is not None or not f.required) else ''}}></label>
  % end
  <span class="error" data-for="{{f.name}}"></span>
  % end
  <button type="submit">{{'Save' if editing is not None else 'Add'}}</button>
  <span class="error" data-for="_form"></span>
  <ul class="warnings"></ul>
</form>
% if kind.name == 'extension':
<h2>Import and export</h2>
<form id="import-form" class="import-form" data-path="/pbx/extension/import">
  <label>CSV file (columns: number, name, password, remote, call_class) <input type="file" name="file" accept=".csv,text/csv"></label>
  <button type="submit">Import</button>
  <span class="error" data-for="_form"></span>
</form>
<table id="import-report"><tbody></tbody></table>
% end
% else:
<p class="read-only">Your level may read these records but not change them.</p>
% end
% if kind.name == 'extension' and listed.ok:
<p><a id="export" href="/pbx/extension/export.csv">Export as CSV</a></p>
% end
