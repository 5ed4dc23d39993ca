% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level, scripts=['network.js'])
% if not state.ok:
<p class="refused">{{state.error}}</p>
% else:
<dl id="firewall" class="figures">
% for label, value in rows:
  <dt>{{label}}</dt><dd>{{value}}</dd>
% end
</dl>
% pending = state.body.get('pending')
% if pending and can_change:
<p id="pending">This change is applied but not kept yet: unless it is confirmed within <span id="confirm-seconds" data-seconds="{{left}}">{{left}}</span> s, the previous lists come back by themselves.</p>
<button type="button" class="api-action" id="confirm" data-api-method="POST" data-api-path="/api/v1/firewall/confirm" data-body="{}">Confirm</button>
<span class="error" data-for="_form"></span>
% end
<h2>Access lists per service</h2>
<table id="services"><thead><tr><th>Service</th><th>Ports</th><th>Allowed (as written)</th><th>Applied to</th></tr></thead><tbody>
% for service in services:
<tr data-key="{{service['name']}}"><td>{{service['name']}}: {{service['summary']}}</td><td>{{service['ports']}}</td><td>{{service['written']}}</td><td>{{service['networks']}}</td></tr>
% end
</tbody></table>
<h2>Confirmed lists</h2>
<pre id="confirmed">{{confirmed}}</pre>
% if can_change and not pending:
<h2>Change the access lists</h2>
<p>Networks or addresses, separated by commas (or the aliases local and peer); an empty field keeps the service's default. The lists are replaced whole and applied at once; a change that would cut off the address you are connected from is refused; any other one must be confirmed here within the time given, else it is rolled back.</p>
<form id="firewall-form" class="api-form" data-api-method="POST" data-api-path="/api/v1/firewall" data-nest="allow" data-then="reload" data-error-default="_form">
% for service in services:
  <label>{{service['name']}} <input name="{{service['name']}}" data-type="list" data-optional value="{{service['allow']}}" placeholder="default"></label>
  <span class="error" data-for="{{service['name']}}"></span>
% end
  <label>Trusted (never blocked) <input name="trusted" data-type="list" data-top value="{{', '.join(state.body.get('trusted') or [])}}"></label>
  <span class="error" data-for="trusted"></span>
  <label>Confirm within (s) <input name="confirm_seconds" data-type="int" data-top data-optional placeholder="60"></label>
  <span class="error" data-for="confirm_seconds"></span>
  <button type="submit">Apply</button>
  <span class="error" data-for="_form"></span>
</form>
% elif not can_change:
<p class="read-only">Your level may read the access lists but not change them.</p>
% end
% end
<h2>Blocked addresses</h2>
% if not blocked.ok:
<p class="refused">{{blocked.error}}</p>
% else:
<p>Addresses that failed SIP authentication too often; each is dropped until its time runs out.</p>
<table id="blocked"><thead><tr><th>Address</th><th>Time left</th>
% if can_change:
<th></th>
% end
</tr></thead><tbody>
% for address, left in blocked_rows:
<tr data-key="{{address}}"><td>{{address}}</td><td>{{left}}</td>
% if can_change:
<td><button type="button" class="api-action" data-api-method="DELETE" data-api-path="/api/v1/firewall/blocked/{{address}}" data-confirm="Unblock {{address}}?">Remove</button><span class="error" data-for="_form"></span></td>
% end
</tr>
% end
</tbody></table>
% end
