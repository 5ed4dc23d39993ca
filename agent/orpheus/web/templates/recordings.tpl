% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level, scripts=scripts)
% if not listed.ok:
<p class="refused">{{listed.error}}</p>
% else:
<h2>Listen and call records</h2>
<p>Recordings and call detail records are encrypted: listening, downloading and the CDR need the privacy officer's password. It goes with each request to the unit only, and is not kept by this page.</p>
<form id="privacy-form" autocomplete="off">
  <label>Privacy password <input id="privacy-password" type="password" autocomplete="off"></label>
  <button type="button" id="cdr-export">Export call detail records (CSV)</button>
  <span class="error" data-for="_form" id="privacy-error"></span>
</form>
<audio id="player" controls hidden></audio>
<table id="recordings"><thead><tr><th>Started (UTC)</th><th>Direction</th><th>Caller</th><th>Called</th><th>Length</th><th>Trunk</th><th>Target</th><th>Size</th><th></th></tr></thead><tbody>
% for row in rows:
<tr data-key="{{row['id']}}"><td>{{row['started']}}</td><td>{{row['direction']}}</td><td>{{row['caller']}}</td><td>{{row['called']}}</td><td>{{row['duration']}}</td><td>{{row['trunk']}}</td><td>{{row['target']}}{{' (moving to ' + row['moving_to'] + ')' if row['moving_to'] else ''}}</td><td>{{row['size']}}</td>
<td><button type="button" class="play" data-id="{{row['id']}}">Play</button> <button type="button" class="download" data-id="{{row['id']}}">Download</button>
% if can_change:
<button type="button" class="api-action delete" data-api-method="DELETE" data-api-path="/api/v1/recordings/{{row['id']}}" data-confirm="Delete the recording of {{row['started']}}? This cannot be undone.">Delete</button>
% end
<span class="error" data-for="_form"></span></td></tr>
% end
</tbody></table>
% if not rows:
<p id="no-recordings">No recordings.</p>
% end
% if can_change:
<h2>Copy or move</h2>
<p>A job: each copy is checked by its checksum before a move deletes the source; it resumes after a power cut. Archive: move everything older than some days, e.g. to the USB drive.</p>
<form id="transfer-form" class="api-form" data-api-method="POST" data-api-path="/api/v1/recordings/copy" data-then="reload" data-error-default="_form">
  <label>Action <select id="transfer-mode">
  <option value="copy">copy</option>
  <option value="move">move</option>
  </select></label>
  <label>From <select name="from">
% for name in targets:
  <option value="{{name}}">{{name}}</option>
% end
  </select></label>
  <span class="error" data-for="from"></span>
  <label>To <select name="to">
% for name in targets:
  <option value="{{name}}">{{name}}</option>
% end
  </select></label>
  <span class="error" data-for="to"></span>
  <label>Since (YYYY-MM-DD) <input name="since" data-optional></label>
  <span class="error" data-for="since"></span>
  <label>Until (YYYY-MM-DD) <input name="until" data-optional></label>
  <span class="error" data-for="until"></span>
  <label>Extension <input name="extension" data-optional></label>
  <span class="error" data-for="extension"></span>
  <label>Direction <select name="direction" data-optional>
  <option value="">any</option>
% for direction in directions:
  <option value="{{direction}}">{{direction}}</option>
% end
  </select></label>
  <span class="error" data-for="direction"></span>
  <label>Older than (days) <input name="older_than_days" data-type="int" data-optional></label>
  <span class="error" data-for="older_than_days"></span>
  <button type="submit">Start</button>
  <span class="error" data-for="_form"></span>
</form>
% end
% if jobs:
<h2>Copies and moves</h2>
<table id="transfers"><thead><tr><th>Job</th><th>Action</th><th>Between</th><th>State</th><th>Progress</th><th>Message</th></tr></thead><tbody>
% for job in jobs:
<tr><td>{{job['id']}}</td><td>{{job['kind']}}</td><td>{{job['source']}}</td><td>{{job['state']}}</td><td>{{job['progress']}}%</td><td>{{job['message']}}</td></tr>
% end
</tbody></table>
% end
% end
