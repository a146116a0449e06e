/* Task pages: small enhancements; every form also works without JavaScript. */
(function () {
  // Filters that apply at once.
  document.querySelectorAll('select[data-autosubmit]').forEach(function (sel) {
    sel.addEventListener('change', function () { sel.form.submit(); });
  });
  // A choice that reloads the form (the contract decides the enterprise, outlets, devices).
  document.querySelectorAll('[data-refresh]').forEach(function (sel) {
    var button = sel.form && sel.form.querySelector('button.t-refresh');
    if (button) { button.hidden = true; }
    sel.addEventListener('change', function () {
      if (button && sel.form.requestSubmit) { sel.form.requestSubmit(button); }
      else if (button) { button.click(); }
    });
  });
  // Devices and plan rows follow the outlets chosen.
  var editor = document.querySelector('[data-plan-editor]');
  if (editor) {
    var sync = function () {
      var chosen = {};
      editor.querySelectorAll('input[data-outlet-toggle]').forEach(function (box) { chosen[box.value] = box.checked; });
      editor.querySelectorAll('.t-group[data-outlet]').forEach(function (group) {
        var on = chosen[group.getAttribute('data-outlet')] !== false;
        group.hidden = !on;
        group.querySelectorAll('input, select').forEach(function (el) { el.disabled = !on; });
      });
      syncRows();
    };
    var syncRows = function () {
      editor.querySelectorAll('.t-plan-row').forEach(function (row) {
        var box = row.querySelector('input[data-row-toggle]');
        if (!box || box.disabled) { return; }
        row.classList.toggle('t-off', !box.checked);
        row.querySelectorAll('select, input[type=number], input.t-plan-title').forEach(function (el) { el.disabled = !box.checked; });
        var freq = row.querySelector('select[data-frequency]');
        var n = row.querySelector('[data-n]');
        if (freq && n) {
          var every = freq.value === 'every_n_days';
          n.hidden = !every;
          n.querySelector('input').disabled = !every || !box.checked;
        }
      });
    };
    editor.addEventListener('change', function (e) {
      if (e.target.matches('input[data-outlet-toggle]')) { sync(); }
      if (e.target.matches('input[data-row-toggle], select[data-frequency]')) { syncRows(); }
    });
    sync();
    var first = editor.querySelector('.t-plan-row.field-error, .field-error');
    if (first) { first.scrollIntoView({block: 'center'}); }
  }
})();
