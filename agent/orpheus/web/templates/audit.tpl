% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level)
<form id="audit-filter" method="get" action="/audit">
  <label>User <input name="user" value="{{filters['user']}}"></label>
  <label>Change (e.g. extension.) <input name="change" value="{{filters['change']}}"></label>
  <label>From (YYYY-MM-DD) <input name="since" value="{{filters['since']}}"></label>
  <label>To (YYYY-MM-DD) <input name="until" value="{{filters['until']}}"></label>
  <button type="submit">Filter</button>
</form>
<p><a id="audit-export" href="{{export}}">Export as CSV</a></p>
% if not answer.ok:
<p class="refused">{{answer.error}}</p>
% else:
<table id="audit"><thead><tr><th>Time</th><th>User</th><th>Change</th><th>Object</th></tr></thead><tbody>
% for entry in entries:
<tr><td>{{entry.get('time', '')}}</td><td>{{entry.get('user', '')}}</td><td>{{entry.get('change', '')}}</td><td>{{entry.get('object', '')}}</td></tr>
% end
</tbody></table>
% end
