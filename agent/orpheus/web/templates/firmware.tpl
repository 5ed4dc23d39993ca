% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level, scripts=['firmware.js'])
% if update.status == 404:
<p class="refused">Firmware updates are not available on this unit (no RAUC).</p>
% elif not update.ok:
<p class="refused">{{update.error}}</p>
% else:
<table id="slots">
  <thead><tr><th>Slot</th><th>Version</th><th>Built</th><th>State</th><th>Boot status</th><th></th></tr></thead>
  <tbody>
  % for slot in update.body.get('slots', []):
  <tr><td>{{slot.get('bootname')}}</td><td>{{slot.get('version') or '?'}}</td><td>{{slot.get('build_date') or '?'}}</td><td>{{slot.get('state') or ''}}</td><td>{{slot.get('boot_status') or ''}}</td>
  <td>{{'booted' if slot.get('booted') else ''}} {{'primary' if slot.get('primary') else ''}}</td></tr>
  % end
  </tbody>
</table>
% if can_change:
<h2>Install a bundle</h2>
<form id="upload-form">
  <label>Bundle (.raucb) <input type="file" name="bundle" accept=".raucb"></label>
  <label>Reboot into it once no call is in progress <input type="checkbox" name="reboot"></label>
  <button type="submit">Upload and install</button>
  <span class="error" data-for="_form"></span>
</form>
<h2>Install from a URL</h2>
<form id="url-form">
  <label>Bundle URL (http or https) <input name="url" placeholder="https://updates.example.com/orpheus.raucb"></label>
  <label>Reboot into it once no call is in progress <input type="checkbox" name="reboot"></label>
  <button type="submit">Install</button>
  <span class="error" data-for="url"></span>
  <span class="error" data-for="_form"></span>
</form>
<p>Upload <progress id="upload-progress" max="100" value="0"></progress> <span id="upload-percent"></span></p>
<p>Install <progress id="job-progress" max="100" value="0"></progress> <span id="job-state"></span></p>
<pre id="job-log"></pre>
<h2>Roll back</h2>
<button type="button" class="api-action" id="rollback" data-api-method="POST" data-api-path="/api/v1/update/rollback" data-body='{"reboot": false}' data-confirm="Boot the other slot's firmware at the next reboot?">Roll back to the other slot</button>
<span class="error" data-for="_form"></span>
% end
% end
<h2>Jobs (the running one and the recent ones, newest first)</h2>
% if jobs.ok:
<table id="jobs"><thead><tr><th>Id</th><th>Kind</th><th>State</th><th>Progress</th><th>Message</th></tr></thead><tbody>
% for job in reversed(jobs.body):
<tr><td>{{job.get('id')}}</td><td>{{job.get('kind')}}</td><td>{{job.get('state')}}</td><td>{{job.get('progress')}}</td><td>{{job.get('message') or ''}}</td></tr>
% end
</tbody></table>
% else:
<p class="refused">{{jobs.error}}</p>
% end
