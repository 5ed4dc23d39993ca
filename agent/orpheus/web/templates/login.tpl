% rebase('layout.tpl', title=title, nav=nav, user=user, csrf=csrf)
<form id="login" class="api-form" data-api-method="POST" data-api-path="/api/v1/session" data-then="session">
  <label>User <input name="name" autocomplete="username" required></label>
  <span class="error" data-for="name"></span>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <span class="error" data-for="password"></span>
  <button type="submit">Log in</button>
  <span class="error" data-for="_form"></span>
</form>
