% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level)
% if not listed.ok:
<p class="refused">{{listed.error}}</p>
% else:
<h2>System report</h2>
<p>One archive (tar + zstd) for support: firmware, the journal, Asterisk's and the network's state, the agent's configuration with every secret redacted.</p>
<p><a id="report" href="/api/v1/report" download="orpheus-report.tar.zst">Download the system report</a></p>
<h2>Packet captures</h2>
<p id="quota">{{quota.get('used_bytes', 0)}} bytes kept of a {{quota.get('quota_mb', '-')}} MB quota.</p>
<table id="captures"><thead><tr><th>Id</th><th>Filter</th><th>State</th><th>Started (UTC)</th><th>Duration</th><th>Size</th><th>Message</th><th></th></tr></thead><tbody>
% for capture in captures:
<tr data-key="{{capture['id']}}"><td>{{capture['id']}}</td><td>{{capture['filter']}}</td><td>{{capture['state']}}</td><td>{{capture['started']}}</td><td>{{capture['duration']}}</td><td>{{capture['size']}}</td><td>{{capture['message']}}</td>
<td><a class="dialogs" href="/diagnostics?capture={{capture['id']}}">SIP dialogs</a> <a class="download" href="/api/v1/captures/{{capture['id']}}/pcap" download="capture-{{capture['id']}}.pcap">pcap</a>
% if can_change:
% if capture['state'] == 'running':
<button type="button" class="api-action stop" data-api-method="POST" data-api-path="/api/v1/captures/{{capture['id']}}/stop">Stop</button>
% end
<button type="button" class="api-action delete" data-api-method="DELETE" data-api-path="/api/v1/captures/{{capture['id']}}" data-confirm="Delete capture {{capture['id']}}?">Delete</button><span class="error" data-for="_form"></span>
% end
</td></tr>
% end
</tbody></table>
% if shown_id:
<h2>SIP dialogs of capture {{shown_id}}</h2>
% if not shown.ok:
<p class="refused">{{shown.error}}</p>
% else:
% if shown.body.get('dialogs_dropped'):
<p class="refused">{{shown.body.get('dialogs_dropped')}} dialogs not listed (too many).</p>
% end
<table id="dialogs"><thead><tr><th>Call-ID</th><th>Method</th><th>From</th><th>To</th><th>Start (UTC)</th><th>Duration</th><th>Final response</th><th>Messages</th></tr></thead><tbody>
% for dialog in dialogs:
<tr><td>{{dialog['call_id']}}</td><td>{{dialog['method']}}</td><td>{{dialog['from']}}</td><td>{{dialog['to']}}</td><td>{{dialog['start']}}</td><td>{{dialog['duration']}}</td><td>{{dialog['final']}}</td><td>{{dialog['messages']}}</td></tr>
% end
</tbody></table>
% for dialog in dialogs[:20]:
<figure class="ladder"><img src="{{dialog['ladder']}}" alt="Ladder diagram of {{dialog['call_id']}}" loading="lazy"><figcaption>{{dialog['method']}} {{dialog['call_id']}}</figcaption></figure>
% end
% end
% end
% if can_change:
<h2>Start a capture</h2>
<p>What to capture (a value for host: an IP address; for port: a port number), for how long and at most how much: the capture stops at whichever comes first.</p>
<form id="capture-form" class="api-form" data-api-method="POST" data-api-path="/api/v1/captures" data-nest="filter" data-then="reload" data-error-default="_form">
  <label>Filter <select name="kind">
% for kind in kinds:
  <option value="{{kind}}">{{kind}}</option>
% end
  </select></label>
  <span class="error" data-for="kind"></span>
  <label>Value (host or port) <input name="value" data-optional></label>
  <span class="error" data-for="value"></span>
  <label>Duration (s) <input name="duration_seconds" data-type="int" data-top data-optional placeholder="{{defaults[0]}}"></label>
  <span class="error" data-for="duration_seconds"></span>
  <label>Max size (MB) <input name="max_size_mb" data-type="int" data-top data-optional placeholder="{{defaults[1]}}"></label>
  <span class="error" data-for="max_size_mb"></span>
  <button type="submit">Start</button>
  <span class="error" data-for="_form"></span>
</form>
% else:
<p class="read-only">Your level may read the captures but not start or delete them.</p>
% end
% end
