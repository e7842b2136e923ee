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
  // (Not the Connect form: it opens a window, and the admin may close that and try again.)
  document.querySelectorAll('form:not([target])').forEach(function (form) {
    form.addEventListener('submit', function () {
      setTimeout(function () {
        form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
});

// "Connect to Zendesk": Zendesk's sign-in cannot be framed, so the form posts into a new window. That window tells us
// when it is done (postMessage, from this service's own origin only); since Zendesk's pages may cut the opener link,
// the page also asks the service for the link's state while the window is open and whenever it becomes visible again.
document.addEventListener('DOMContentLoaded', function () {
  var done = document.querySelector('[data-zendesk-linked]');
  if (done && window.opener) {
    window.opener.postMessage({ type: 'zendesk-linked', subdomain: done.getAttribute('data-zendesk-linked') }, window.location.origin);
  }

  var panel = document.getElementById('zendesk-link');
  var connect = panel && panel.querySelector('form.zendesk-connect');
  if (!connect) {
    return;
  }

  var state = panel.querySelector('#zendesk-link-state');
  var button = connect.querySelector('button');
  var polling = null;
  var pollsLeft = 0;

  function check() {
    var body = new URLSearchParams(new FormData(connect));
    return fetch(connect.getAttribute('data-status-url'), { method: 'POST', body: body, credentials: 'omit', cache: 'no-store' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (link) {
        if (!link) {
          return false;
        }

        panel.setAttribute('data-state', link.state);
        state.textContent = link.text;
        button.textContent = link.connect_label;
        return link.state === 'linked';
      })
      .catch(function () { return false; });
  }

  function stopPolling() {
    if (polling) {
      clearInterval(polling);
      polling = null;
    }
  }

  function watch() {
    // Every 2 s for up to 15 minutes (the lifetime of a started connection), until the link works.
    stopPolling();
    pollsLeft = 450;
    polling = setInterval(function () {
      if (--pollsLeft <= 0) {
        stopPolling();
        return;
      }

      check().then(function (linked) { if (linked) { stopPolling(); } });
    }, 2000);
  }

  connect.addEventListener('submit', function () {
    // A named window opened here keeps window.opener, which the form then fills.
    window.open('about:blank', 'zendesk-connect', 'popup,width=640,height=760');
    watch();
  });

  window.addEventListener('message', function (event) {
    if (event.origin === window.location.origin && event.data && event.data.type === 'zendesk-linked') {
      check().then(function (linked) { if (linked) { stopPolling(); } });
    }
  });

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') {
      check();
    }
  });
  window.addEventListener('focus', function () { check(); });
});

// Calendars for agents: copy a feed address; rotate one without leaving the page (the answer is the new address).
document.addEventListener('DOMContentLoaded', function () {
  var section = document.getElementById('agent-calendars');
  if (!section) {
    return;
  }

  section.querySelectorAll('.agent-feed-copy').forEach(function (button) {
    button.addEventListener('click', function () {
      var input = document.getElementById(button.getAttribute('data-copy-for'));
      input.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(input.value).catch(function () { document.execCommand('copy'); });
      } else {
        document.execCommand('copy');
      }
    });
  });

  // An agent's CalDAV calendar: connect or disconnect without leaving the page; the answer's message says how it went
  // (the page shows the new state when opened again). The password field is emptied whatever the answer.
  section.querySelectorAll('form.agent-caldav-connect, form.agent-caldav-disconnect').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var confirmText = form.getAttribute('data-confirm');
      if (confirmText && !window.confirm(confirmText)) {
        return;
      }

      var message = form.closest('td').querySelector('.agent-caldav-message');
      var body = new FormData(form);
      var password = form.querySelector('input[type=password]');
      if (password) {
        password.value = '';
      }

      fetch(form.getAttribute('action'), { method: 'POST', body: body, credentials: 'omit', cache: 'no-store' })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          message.textContent = answer.message || answer.error || '';
          message.className = 'agent-caldav-message ' + (answer.ok ? 'ok' : 'error');
        })
        .catch(function () { message.textContent = ''; })
        .then(function () {
          // The page's submit handler disabled the button against double posts; this form stays on the page.
          form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = false; });
        });
    });
  });

  section.querySelectorAll('form.agent-feed-rotate').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (!window.confirm(form.getAttribute('data-confirm'))) {
        return;
      }

      var row = form.closest('tr');
      fetch(form.getAttribute('action'), { method: 'POST', body: new FormData(form), credentials: 'omit', cache: 'no-store' })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer && answer.feed_url) {
            var input = row.querySelector('.agent-feed-url');
            input.value = answer.feed_url;
            input.placeholder = '';
            var tasks = row.querySelector('.agent-tasks-url');
            if (tasks && answer.tasks_url) {
              tasks.value = answer.tasks_url;
              tasks.placeholder = '';
            }
          }
        })
        .catch(function () { })
        .then(function () {
          form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = false; });
        });
    });
  });
});
