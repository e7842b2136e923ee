// Admin UI behaviour, kept out of the pages so the Content-Security-Policy can forbid inline scripts.
document.addEventListener('DOMContentLoaded', function () {
  // The final step posts name, metadata and state to Zendesk's return_url without another click.
  var returnForm = document.querySelector('form[data-autosubmit=on]');
  if (returnForm) {
    returnForm.submit();
    return;
  }

  // After a test or a failed validation, move focus to the result so keyboard and screen-reader users hear it.
  var focus = document.querySelector('[data-autofocus]');
  if (focus) {
    focus.focus();
  }

  // One submission at a time: a double click must not run two tests or two saves.
  document.querySelectorAll('form').forEach(function (form) {
    form.addEventListener('submit', function () {
      setTimeout(function () {
        form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
});
