/* 排污单位确认, 机构审核 and 采样行程确认 on the phone: choose the records, sign on the pad
   (static/signature.js), take the work photo with the front camera, and send one act to the JSON
   API as multipart/form-data (the photo as a file, the pad's PNG as a field) with the session
   cookie and the X-CSRF-Token header. The answer lists every record: those that went through are
   marked in the list, the refused ones get their reason beside them.

   The form: <form id="act-form" data-act="confirm|review|trip" data-url="/api/v1/...">; record
   rows anywhere on the page: [data-row=<id>] with input[name=record_ids], [data-role=status],
   [data-role=refusal]. A request carries a client-made submission_id, kept until the server has
   answered, so a retry after a network error is carried out once. */
(function () {
  'use strict';
  var form = document.getElementById('act-form');
  if (!form) { return; }
  var CSRF = (document.querySelector('meta[name=csrf-token]') || {}).content || '';
  var NETWORK = '网络异常，请检查网络后重试';
  var kind = form.getAttribute('data-act');
  var url = form.getAttribute('data-url');
  var pad = window.EmssSignature.attach(form.querySelector('#signature'));
  var photo = form.querySelector('#act-photo');
  var preview = form.querySelector('#act-photo-preview');
  var button = form.querySelector('#act-submit');
  var errorBox = form.querySelector('#act-error');
  var resultBox = form.querySelector('#act-result');
  var counter = document.getElementById('selected-count');
  var selectAll = document.getElementById('select-all');
  var submissionId = null;
  var previewUrl = null;

  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function clientId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);  // randomUUID needs a secure context; this does not
    return 'act-' + Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function boxes() { return $$('input[name=record_ids]').filter(function (b) { return !b.disabled; }); }
  function chosen() { return boxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; }); }

  function count() {
    if (counter) { counter.textContent = String(chosen().length); }
    if (selectAll) {
      var all = boxes();
      selectAll.textContent = all.length && all.every(function (b) { return b.checked; }) ? '全不选' : '全选';
    }
  }

  // ------------------------------------------------------------ messages beside the fields
  function fieldBox(field) { return form.querySelector('[data-field="' + field + '"]'); }

  function say(field, text) {
    var msg = form.querySelector('[data-for="' + field + '"]');
    var box = fieldBox(field);
    if (msg) { msg.textContent = text || ''; msg.hidden = !text; }
    if (box) { box.classList.toggle('field-error', !!text); }
    return !!msg;
  }

  function clearMessages() {
    $$('[data-for]', form).forEach(function (m) { say(m.getAttribute('data-for'), ''); });
    errorBox.hidden = true;
    errorBox.textContent = '';
  }

  var errorField = null;  // the field the summary above the button is about

  // The person fixed `field`: its message and the summary about it go.
  function fixed(field) {
    say(field, '');
    if (errorField === field) { errorBox.hidden = true; errorField = null; }
  }

  function fail(field, text) {
    var shown = field && say(field, text);
    errorField = shown ? field : null;
    errorBox.textContent = shown ? '请检查标红的项目：' + text : text;
    errorBox.hidden = false;
    var target = (field && fieldBox(field)) || errorBox;
    if (target.scrollIntoView) { target.scrollIntoView({block: 'center'}); }
  }

  // ------------------------------------------------------------ the form's own parts
  $$('input[name=record_ids]').forEach(function (b) {
    b.addEventListener('change', function () { count(); if (chosen().length) { fixed('record_ids'); } });
  });
  if (selectAll) {
    selectAll.addEventListener('click', function () {
      var all = boxes();
      var on = !all.every(function (b) { return b.checked; });
      all.forEach(function (b) { b.checked = on; });
      count();
    });
  }
  count();

  var reasonBox = fieldBox('reason');
  $$('input[name=decision]', form).forEach(function (r) {
    r.addEventListener('change', function () {
      if (reasonBox) { reasonBox.hidden = form.querySelector('input[name=decision]:checked').value !== 'void'; }
      fixed('decision');
      button.textContent = r.value === 'void' ? '签字提交（作废）' : '签字提交（确认）';
    });
  });

  var reasonInput = form.querySelector('#act-reason');
  if (reasonInput) {
    reasonInput.addEventListener('input', function () { if (reasonInput.value.trim()) { fixed('reason'); } });
  }

  photo.addEventListener('change', function () {
    fixed('photo');
    var file = photo.files && photo.files[0];
    if (previewUrl) { URL.revokeObjectURL(previewUrl); previewUrl = null; }
    if (file) {
      previewUrl = URL.createObjectURL(file);
      preview.src = previewUrl;
    }
    preview.hidden = !file;
  });

  form.querySelector('#signature').addEventListener('signature-confirmed', function () { fixed('signature'); });

  function locate() {
    // The phone's position is a fact of the act when it gives one; without it the act still goes.
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { resolve(null); return; }
      var done = false;
      var timer = setTimeout(function () { if (!done) { done = true; resolve(null); } }, 6000);
      navigator.geolocation.getCurrentPosition(function (p) {
        if (done) { return; }
        done = true;
        clearTimeout(timer);
        resolve({longitude: p.coords.longitude, latitude: p.coords.latitude,
                 accuracy: Math.round(p.coords.accuracy || 0), crs: 'WGS-84'});
      }, function () {
        if (!done) { done = true; clearTimeout(timer); resolve(null); }
      }, {enableHighAccuracy: true, timeout: 5000, maximumAge: 60000});
    });
  }

  // What the page can tell before asking the server; the server checks it all again.
  function check() {
    var ids = chosen();
    if (kind !== 'trip' && !ids.length) { fail('record_ids', '请至少勾选一条记录'); return null; }
    var decision = form.querySelector('input[name=decision]:checked');
    if (kind === 'review' && !decision) { fail('decision', '请选择审核结论（确认或作废）'); return null; }
    var reason = form.querySelector('#act-reason');
    if (decision && decision.value === 'void' && !reason.value.trim()) { fail('reason', '作废必须填写原因'); return null; }
    if (pad.isEmpty()) { fail('signature', '请在签字区域签名'); return null; }
    if (!pad.confirmed()) { pad.confirm(); }
    if (!(photo.files && photo.files[0])) { fail('photo', '请拍摄本人面部清晰的工作照片'); return null; }
    var data = new FormData();
    if (kind !== 'trip') { data.append('record_ids', ids.join(',')); }
    if (decision) { data.append('decision', decision.value); }
    if (decision && decision.value === 'void') { data.append('reason', reason.value.trim()); }
    var note = form.querySelector('#act-note');
    if (note && note.value.trim()) { data.append('note', note.value.trim()); }
    data.append('signature', pad.png());
    data.append('photo', photo.files[0], photo.files[0].name || 'photo.jpg');
    return data;
  }

  function send(data) {
    return fetch(url, {method: 'POST', body: data, credentials: 'same-origin',
                       headers: {'X-CSRF-Token': CSRF, 'Accept': 'application/json'}})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (r.ok) { return body; }
          var e = (body && body.error) || {};
          var err = new Error(e.message || ('请求失败（' + r.status + '）'));
          err.field = e.field || null;
          err.answered = true;
          throw err;
        });
      }, function () {
        throw new Error(NETWORK);
      });
  }

  // ------------------------------------------------------------ the answer
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function markDone(item) {
    var row = document.querySelector('[data-row="' + item.record_id + '"]');
    if (!row) { return; }
    row.setAttribute('data-status', item.status);
    row.classList.add('cf-done');
    var status = row.querySelector('[data-role=status]');
    if (status) { status.textContent = item.status_label; status.className = 'cf-status ' + item.status; }
    var box = row.querySelector('input[name=record_ids]');
    if (box) {
      box.checked = false;
      box.disabled = true;
      var pick = box.closest('.cf-pick');
      if (pick) { pick.hidden = true; }
    }
    var refusal = row.querySelector('[data-role=refusal]');
    if (refusal) { refusal.hidden = true; }
  }

  function markRefused(item) {
    var row = document.querySelector('[data-row="' + item.record_id + '"]');
    if (!row) { return; }
    row.classList.add('cf-refused');
    var refusal = row.querySelector('[data-role=refusal]');
    if (refusal) { refusal.textContent = '未通过：' + item.message; refusal.hidden = false; }
    var box = row.querySelector('input[name=record_ids]');
    if (box) { box.checked = false; }  // not carried into the next act unless chosen again
  }

  function show(result) {
    var done = result.confirmed || result.done || [];
    var refused = result.refused || [];
    var verb = kind === 'review' ? (result.decision_label || '审核') : '确认';
    resultBox.textContent = '';
    if (done.length) {
      var ok = el('div', 'fr-ok', '');
      ok.id = 'act-done';
      ok.appendChild(el('strong', '', '已' + verb + ' ' + done.length + ' 条：'));
      ok.appendChild(document.createTextNode(done.map(function (d) {
        return d.number + (d.late ? '（逾期确认）' : '');
      }).join('、')));
      resultBox.appendChild(ok);
    }
    if (refused.length) {
      var bad = el('div', 'fr-msg', '');
      bad.id = 'act-refused';
      bad.appendChild(el('strong', '', '以下 ' + refused.length + ' 条未' + verb + '：'));
      var list = el('ul', 'cf-refused-list');
      refused.forEach(function (r) {
        var li = el('li', '', '');
        li.setAttribute('data-record', r.record_id);
        li.appendChild(el('b', '', (r.number || '记录') + '：'));
        li.appendChild(document.createTextNode(r.message));
        list.appendChild(li);
      });
      bad.appendChild(list);
      resultBox.appendChild(bad);
    }
    done.forEach(markDone);
    refused.forEach(markRefused);
    count();
  }

  function reset() {
    pad.clear();
    photo.value = '';
    preview.hidden = true;
    if (previewUrl) { URL.revokeObjectURL(previewUrl); previewUrl = null; }
    var reason = form.querySelector('#act-reason');
    if (reason) { reason.value = ''; }
  }

  button.addEventListener('click', function () {
    clearMessages();
    var data = check();
    if (!data) { return; }
    submissionId = submissionId || clientId();
    data.append('submission_id', submissionId);
    var label = button.textContent;
    button.disabled = true;
    button.textContent = '正在提交…';
    locate().then(function (where) {
      if (where) {
        Object.keys(where).forEach(function (k) { data.append(k, String(where[k])); });
      }
      return send(data);
    }).then(function (result) {
      submissionId = null;  // answered: the next act is a new one
      if (kind === 'trip') {
        window.location.href = window.location.pathname + '?done=1';
        return;
      }
      var done = result.confirmed || result.done || [];
      if (form.querySelector('input[name=record_ids][hidden]') && done.length) {
        window.location.href = window.location.pathname + '?done=1';  // one record: show its new state
        return;
      }
      show(result);
      reset();
      if (!boxes().length) { button.hidden = true; }
    }, function (err) {
      if (err.answered) { submissionId = null; }  // refused as a whole, nothing stored
      fail(err.field, err.message);
    }).then(function () {
      button.disabled = false;
      button.textContent = label;
    });
  });
})();
