% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level, scripts=['wizard.js'])
<ol id="wizard-steps" class="steps">
  <li class="done" data-step="1">Administrator password: changed</li>
  <li class="{{'current' if step == 2 else 'done'}}" data-step="2">Time zone and NTP servers</li>
  <li class="{{'current' if step == 3 else 'todo'}}" data-step="3">SNMP</li>
</ol>
% if step == 2:
% if not time.ok:
<p class="refused">{{time.error}}</p>
% else:
<h2>Step 2: time zone and NTP servers</h2>
<p>The unit's clock is set by NTP (systemd-timesyncd). Without servers of your own it asks none, unless the network's DHCP server names one.</p>
<form id="wizard-time" class="api-form" data-api-method="PUT" data-api-path="/api/v1/time" data-then="/wizard?step=3" data-error-default="_form">
  <label>Time zone <select name="timezone">
% for zone in zones:
    <option value="{{zone}}" {{'selected' if zone == time.body.get('timezone') else ''}}>{{zone}}</option>
% end
  </select></label>
  <span class="error" data-for="timezone"></span>
  <label>NTP servers (comma-separated) <input name="ntp_servers" data-type="list" value="{{', '.join(time.body.get('ntp_servers', []))}}"></label>
  <span class="error" data-for="ntp_servers"></span>
  <button type="submit">Next</button>
  <span class="error" data-for="_form"></span>
</form>
% end
% else:
<h2>Step 3: SNMP</h2>
<p>Off: snmpd answers nobody (no community, no v3 user, no notification receiver). On: one read-only v2c community, answered only from the network you give; more on the SNMP page.</p>
<form id="wizard-snmp" data-error-default="_form">
  <label>Off <input type="radio" name="snmp" value="off" {{'' if snmp_on else 'checked'}}></label>
  <label>On <input type="radio" name="snmp" value="on" {{'checked' if snmp_on else ''}}></label>
  <label>Community <input name="community" value="{{community}}" autocomplete="off"></label>
  <span class="error" data-for="communities"></span>
  <label>Answered from (network) <input name="source" value="{{source}}" placeholder="192.0.2.0/24"></label>
  <span class="error" data-for="source"></span>
  <button type="submit">Finish</button>
  <span class="error" data-for="_form"></span>
</form>
% end
<p><button type="button" id="wizard-skip">Skip the wizard</button> (nothing more is changed; every setting stays on its own page)</p>
