<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="{{csrf}}">
<title>{{title}} - Orpheus</title>
<link rel="stylesheet" href="/static/orpheus.css">
<script src="/static/app.js" defer></script>
% for script in get('scripts', []):
<script src="/static/{{script}}" defer></script>
% end
</head>
<body>
<header>
  <span class="brand">Orpheus</span>
  <nav>
  % for path, label in nav:
    <a href="{{path}}">{{label}}</a>
  % end
  </nav>
  % if user:
  <span class="who">{{user}} ({{get('level', '')}})</span>
  <button type="button" id="logout">Log out</button>
  % end
</header>
<main>
<p id="action-error" class="error"></p>
<h1>{{title}}</h1>
{{!base}}
</main>
</body>
</html>
