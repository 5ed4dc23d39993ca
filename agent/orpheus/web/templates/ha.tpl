% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level)
% if status.status == 404:
<p class="refused">High availability is not available on this unit.</p>
% elif not status.ok:
<p class="refused">{{status.error}}</p>
% else:
<dl id="ha" class="figures">
% for label, value in rows:
  <dt>{{label}}</dt><dd>{{value}}</dd>
% end
</dl>
% if can_change and status.body.get('paired'):
<h2>Unpair</h2>
<p>This unit stops VRRP, drops the virtual address and forgets its peer; it then takes calls on its own address.</p>
<button type="button" class="api-action" id="unpair" data-api-method="DELETE" data-api-path="/api/v1/ha" data-confirm="Unpair this unit from {{status.body.get('peer') or 'its peer'}}? Calls then go to each unit's own address.">Unpair</button>
<span class="error" data-for="_form"></span>
% elif can_change:
<h2>1. On the Slave: open a pairing window</h2>
<p>Gives a code and this unit's certificate fingerprint to type into the Master's form below.</p>
<form id="join-form" class="api-form" data-api-method="POST" data-api-path="/api/v1/ha/join" data-then="show" data-show="join-answer" data-error-default="_form">
  <label>Only this Master may pair (address, optional) <input name="master" data-optional></label>
  <span class="error" data-for="master"></span>
  <button type="submit">Open the window</button>
  <span class="error" data-for="_form"></span>
</form>
<dl id="join-answer" class="figures" hidden>
  <dt>Code</dt><dd data-field="code"></dd>
  <dt>Fingerprint</dt><dd data-field="fingerprint"></dd>
  <dt>Open for (s)</dt><dd data-field="expires_in_seconds"></dd>
  <dt>Sync port</dt><dd data-field="sync_port"></dd>
</dl>
<h2>2. On the Master: pair with the Slave</h2>
<form id="pair-form" class="api-form" data-api-method="POST" data-api-path="/api/v1/ha/pair" data-then="reload" data-error-default="_form">
  <label>Slave's address <input name="peer"></label>
  <span class="error" data-for="peer"></span>
  <label>Virtual address (CIDR) <input name="vip"></label>
  <span class="error" data-for="vip"></span>
  <label>Interface <input name="interface"></label>
  <span class="error" data-for="interface"></span>
  <label>Slave's code <input name="code" autocomplete="off"></label>
  <span class="error" data-for="code"></span>
  <label>Slave's fingerprint <input name="peer_fingerprint"></label>
  <span class="error" data-for="peer_fingerprint"></span>
  <label>Priority (optional) <input name="priority" data-type="int" data-optional></label>
  <span class="error" data-for="priority"></span>
  <label>Witness address (optional) <input name="witness" data-optional></label>
  <span class="error" data-for="witness"></span>
  <label>Take Master back when it returns <input type="checkbox" name="preempt" data-type="bool"></label>
  <button type="submit">Pair</button>
  <span class="error" data-for="_form"></span>
</form>
% else:
<p class="read-only">Your level may read the HA status but not change it.</p>
% end
% end
