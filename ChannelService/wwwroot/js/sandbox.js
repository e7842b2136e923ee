// Inside the sandbox's frame after a save: show the updated sandbox page, as Zendesk closes its dialog.
document.addEventListener('DOMContentLoaded', function () {
  var link = document.querySelector('a[data-top-reload]');
  if (link && window.top !== window) {
    window.top.location.href = link.getAttribute('href');
  }
});
