% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf, level=level)
<p>Your password must be changed before you go on.</p>
<form id="password" class="api-form" data-api-method="PUT" data-api-path="/api/v1/session/password" data-then="/">
  <label>Current password <input name="current_password" type="password" autocomplete="current-password" required></label>
  <span class="error" data-for="current_password"></span>
  <label>New password <input name="password" type="password" autocomplete="new-password" required></label>
  <span class="error" data-for="password"></span>
  <button type="submit">Change password</button>
  <span class="error" data-for="_form"></span>
</form>
