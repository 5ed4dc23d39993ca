% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level, scripts=['dashboard.js'])
<dl id="dashboard" class="figures">
% for key, label in (('version', 'Firmware'), ('board', 'Board'), ('tier', 'Licence'), ('load', 'CPU load (1, 5, 15 min)'), ('memory', 'Memory'), ('storage', 'Free space'), ('uptime', 'Uptime'), ('calls', 'Active calls'), ('extensions', 'Extensions'), ('trunks', 'Trunks'), ('registered', 'Registered'), ('asterisk', 'Asterisk'), ('ha_role', 'HA role'), ('ha_peer', 'HA peer'), ('slots', 'Firmware slots'), ('weak_passwords', 'Weak SIP passwords'), ('blocked', 'Blocked addresses')):
  <dt>{{label}}</dt><dd id="value-{{key}}">{{shown.get(key, '-')}}</dd>
% end
</dl>
<h2>Alarms</h2>
<ul id="alarms">
% for alarm in shown.get('alarms', []):
  <li>{{alarm}}</li>
% end
</ul>
