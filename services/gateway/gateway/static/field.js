/* Field work pages (WeChat H5): check-in with the browser's position, the record form rendered from
   the catalogue's description (one renderer for all 15 forms), photos, the signature, 保存 and
   结束签到并上传; sampling trips. Writes go to the JSON API with the session cookie and the
   X-CSRF-Token header; every write carries a client-made id kept in localStorage, so a retry after
   a network error is stored once.

   Position: navigator.geolocation gives WGS-84, sent as crs "WGS-84". Inside WeChat the JS-SDK's
   wx.getLocation({type: 'gcj02'}) would give GCJ-02 (sent as "GCJ-02"); it needs a signed
   wx.config from the official account, which these pages do not set up, so they use the browser's
   geolocation, which WeChat's browser also offers. */
(function () {
  'use strict';
  var API = '/api/v1';
  var CSRF = (document.querySelector('meta[name=csrf-token]') || {}).content || '';
  var NETWORK = '网络异常，请检查网络后重试（已填写的内容不会丢失）';

  // ---------------------------------------------------------------- small helpers
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k === 'text') { node.textContent = v; }
      else if (k === 'cls') { node.className = v; }
      else if (k.slice(0, 2) === 'on') { node.addEventListener(k.slice(2), v); }
      else { node.setAttribute(k, v === true ? '' : v); }
    });
    (kids || []).forEach(function (kid) {
      if (kid !== null && kid !== undefined) { node.appendChild(typeof kid === 'string' ? document.createTextNode(kid) : kid); }
    });
    return node;
  }

  function clientId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  var memory = {};
  function store(key, value) {
    try { if (value === undefined) { localStorage.removeItem(key); } else { localStorage.setItem(key, value); } }
    catch (e) { if (value === undefined) { delete memory[key]; } else { memory[key] = value; } }
  }
  function stored(key) {
    try { return localStorage.getItem(key); } catch (e) { return memory[key] || null; }
  }
  // The id of one intended write: the same until the write has succeeded.
  function intent(key) {
    var id = stored(key);
    if (!id) { id = clientId(); store(key, id); }
    return id;
  }

  function request(method, url, body) {
    var headers = {'X-CSRF-Token': CSRF, 'Accept': 'application/json'};
    var payload = body;
    if (body && !(body instanceof FormData)) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    return fetch(url, {method: method, headers: headers, body: payload, credentials: 'same-origin'})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.ok) { return data; }
          var e = (data && data.error) || {};
          var err = new Error(e.message || ('请求失败（' + r.status + '）'));
          err.field = e.field || null;
          err.status = r.status;
          throw err;
        });
      }, function () {
        var err = new Error(NETWORK);
        err.network = true;
        throw err;
      });
  }

  function locate() {
    return new Promise(function (resolve, reject) {
      if (!navigator.geolocation) { reject(new Error('当前浏览器不支持定位，无法签到')); return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        resolve({longitude: p.coords.longitude, latitude: p.coords.latitude,
                 accuracy: Math.round(p.coords.accuracy || 0), crs: 'WGS-84'});
      }, function (e) {
        var text = {1: '未获得定位权限：请在浏览器或微信设置中允许获取位置后重试',
                    2: '无法获取当前位置，请到开阔处或打开手机定位后重试',
                    3: '定位超时，请重试'}[e.code] || '定位失败，请重试';
        reject(new Error(text));
      }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 0});
    });
  }

  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  // Times are shown in Asia/Shanghai (UTC+8, no daylight saving), whatever the phone's zone.
  function shanghai(iso, seconds) {
    var d = new Date(Date.parse(iso) + 8 * 3600 * 1000);
    var text = d.getUTCFullYear() + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate()) + ' ' +
      pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes());
    return seconds ? text + ':' + pad2(d.getUTCSeconds()) : text;
  }
  function localInput(iso, seconds) { return iso ? shanghai(iso, seconds).replace(' ', 'T') : ''; }
  // datetime-local gives "YYYY-MM-DDTHH:MM" (or with ":SS" when its step allows seconds).
  function fromLocalInput(value) { return value ? value + (value.length === 16 ? ':00' : '') + '+08:00' : ''; }
  function nowLocalInput() { return localInput(new Date().toISOString(), true); }

  function show(box, text, cls) {
    if (!box) { return; }
    box.textContent = text;
    box.hidden = !text;
    if (cls) { box.className = cls; }
  }

  function busy(button, text) {
    button.disabled = true;
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = text;
  }
  function idle(button) {
    button.disabled = false;
    if (button.dataset.label) { button.textContent = button.dataset.label; }
  }

  // A place shown after a check-in: time, longitude, latitude, distance.
  function checkinBox(box, title, ci) {
    box.innerHTML = '';
    box.appendChild(el('dl', {cls: 'fr-kv'}, [
      el('dt', {text: title + '时间'}), el('dd', {'data-role': 'at', text: shanghai(ci.at, true)}),
      el('dt', {text: '经度'}), el('dd', {'data-role': 'lng', text: ci.reported.lng.toFixed(6)}),
      el('dt', {text: '纬度'}), el('dd', {'data-role': 'lat', text: ci.reported.lat.toFixed(6)}),
      el('dt', {text: '距离'}), el('dd', {text: Math.round(ci.distance_m) + ' 米'})
    ]));
    (ci.flags || []).forEach(function (f) { box.appendChild(el('div', {cls: 'fr-bad', text: '提示：' + f.label})); });
    box.hidden = false;
  }
  function positionBox(box, where) {
    box.innerHTML = '';
    box.appendChild(el('div', {cls: 'fr-muted', text: '已定位：经度 ' + where.longitude.toFixed(6) + '，纬度 ' +
      where.latitude.toFixed(6) + '（精度约 ' + where.accuracy + ' 米），正在签到…'}));
    box.hidden = false;
  }

  // Error paths: "blocks[0].values.x.note" is looked for as written, then as its parents.
  function parents(path) {
    var out = [];
    var p = String(path || '').replace(/^content\./, '');
    while (p) {
      out.push(p);
      var cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      p = cut > 0 ? p.slice(0, cut) : '';
    }
    return out;
  }
  function clearErrors(root) {
    root.classList.remove('field-error');
    $$('.field-error', root).forEach(function (n) { n.classList.remove('field-error'); });
    $$('.msg[data-error]', root).forEach(function (n) { n.hidden = true; n.textContent = ''; });
  }
  // Mark the field an error names and return it; null when nothing on the page shows that field.
  function markField(root, path, message, quiet) {
    var list = parents(path);
    for (var i = 0; i < list.length; i++) {
      var host = root.querySelector('[data-field="' + list[i] + '"]');
      if (!host) {
        var input = root.querySelector('[data-path="' + list[i] + '"]');
        host = input && (input.closest('.fld, [data-field], .wx-card') || input.parentNode);
      }
      if (host) {
        host.classList.add('field-error');
        var msg = host.querySelector(':scope > .msg') || host.appendChild(el('div', {cls: 'msg'}));
        msg.setAttribute('data-error', '');
        msg.textContent = message;
        msg.hidden = false;
        if (!quiet) { host.scrollIntoView({block: 'center', behavior: 'smooth'}); }
        return host;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- photos
  function photoFigure(photo) {
    var src = API + '/field-photos/' + encodeURIComponent(photo.id);
    var caption = [photo.kind_label || photo.kind];
    var labels = [];
    (photo.flags || []).forEach(function (f) { if (labels.indexOf(f.label) < 0) { labels.push(f.label); } });
    if (labels.length) { caption.push(el('br'), el('span', {cls: 'fr-bad', text: labels.join('；')})); }
    return el('figure', {cls: 'fr-photo', 'data-photo': photo.id, 'data-kind': photo.kind}, [
      el('a', {href: src, target: '_blank', rel: 'noopener'}, [el('img', {src: src, alt: photo.kind_label || ''})]),
      el('figcaption', {}, caption)
    ]);
  }

  // One file input: the chosen picture is uploaded at once; a failed upload is retried with the
  // same upload_id, so it is stored once even if the first attempt did arrive.
  function uploader(box, url, onDone) {
    var input = $('input[type=file]', box);
    var msg = $('[data-role=error]', box);
    var pending = null;
    var retry = el('button', {type: 'button', cls: 'wx-btn secondary fr-retry', text: '重新上传', hidden: true,
                              onclick: function () { send(); }});
    box.appendChild(retry);

    function send() {
      if (!pending) { return; }
      var data = new FormData();
      data.append('file', pending.file, pending.file.name || (box.dataset.kind + '.jpg'));
      data.append('upload_id', pending.id);
      data.append('kind', box.dataset.kind);
      box.classList.add('fr-busy');
      box.classList.remove('field-error');
      show(msg, '');
      retry.hidden = true;
      input.disabled = true;
      request('POST', url, data).then(function (photo) {
        pending = null;
        input.value = '';
        onDone(photo);
      }, function (err) {
        box.classList.add('field-error');
        show(msg, err.message);
        retry.hidden = !err.network;
      }).then(function () {
        box.classList.remove('fr-busy');
        input.disabled = false;
      });
    }
    input.addEventListener('change', function () {
      if (!input.files || !input.files[0]) { return; }
      pending = {file: input.files[0], id: clientId()};
      send();
    });
  }

  function addPhoto(list, photo) {
    $$('.fr-none', list).forEach(function (n) { n.remove(); });
    if (!list.querySelector('[data-photo="' + photo.id + '"]')) { list.appendChild(photoFigure(photo)); }
  }

  // ---------------------------------------------------------------- 开始签到 (choose a form)
  function startPage(root) {
    var button = $('#start-checkin', root);
    var error = $('#start-error', root);
    var result = $('#start-result', root);
    button.addEventListener('click', function () {
      var chosen = $('input[name=form_kind]:checked', root);
      show(error, '');
      if (!chosen) { show(error, '请先选择运维内容'); return; }
      var key = 'emss.start.' + root.dataset.task + '.' + root.dataset.outlet + '.' + chosen.value;
      busy(button, '正在定位…');
      locate().then(function (where) {
        positionBox(result, where);
        busy(button, '正在签到…');
        return request('POST', API + '/field-records', {
          submission_id: intent(key), task_id: root.dataset.task, outlet_id: root.dataset.outlet,
          form_kind: chosen.value, check_in: where});
      }).then(function (record) {
        store(key, undefined);
        checkinBox(result, '签到', record.check_in);
        busy(button, '签到成功，正在进入表单…');
        window.location.href = '/wx/om/records/' + encodeURIComponent(record.id);
      }, function (err) {
        show(error, err.message);
        idle(button);
      });
    });
  }

  // ---------------------------------------------------------------- the record form
  function recordPage(root) {
    var data = JSON.parse($('#fr-data').textContent);
    var record = data.record;
    var form = data.form;
    var devices = data.devices;
    var byId = {};
    devices.forEach(function (d) { byId[d.facts.id] = d; });
    var BACKUP = 'emss.draft.' + record.id;
    var SUBMIT = 'emss.submit.' + record.id;
    var host = $('#fr-form', root);
    var errorBox = $('#form-error', root);
    var okBox = $('#form-ok', root);
    var description = $('#description', root);
    var pad = window.EmssSignature.attach($('#signature', root));

    // The model: what the page shows and sends. Answers of unchosen groups are kept (ticking the
    // group again brings them back) but not sent.
    var content = record.content || {values: {}, blocks: []};
    var restored = false;
    var backup = null;
    try { backup = JSON.parse(stored(BACKUP) || 'null'); } catch (e) { backup = null; }
    if (backup && backup.at > Date.parse(record.updated_at || 0) &&
        JSON.stringify(backup.content) !== JSON.stringify(content)) {
      content = backup.content;
      if (backup.description !== undefined) { description.value = backup.description; }
      restored = true;
    }
    var state = {values: content.values || {}, blocks: {}, chosen: [], groups: []};
    (content.blocks || []).forEach(function (b) {
      if (!byId[b.device_id]) { return; }
      state.blocks[b.device_id] = b.values || {};
      state.chosen.push(b.device_id);
      (b.groups || []).forEach(function (g) { if (state.groups.indexOf(g) < 0) { state.groups.push(g); } });
    });
    if (!state.chosen.length && devices.length === 1 && form.per_device) { state.chosen.push(devices[0].facts.id); }

    function chosenDevices() {
      return devices.filter(function (d) { return state.chosen.indexOf(d.facts.id) >= 0; });
    }
    function blockGroups(device) {
      return form.groups.map(function (g) { return g.key; }).filter(function (g) {
        return state.groups.indexOf(g) >= 0 && device.groups.indexOf(g) >= 0;
      });
    }
    function allGroups() {
      var out = [];
      chosenDevices().forEach(function (d) { blockGroups(d).forEach(function (g) { if (out.indexOf(g) < 0) { out.push(g); } }); });
      return out;
    }
    function answers(fields, values, groups, device) {
      var out = {};
      fields.forEach(function (f) {
        var v = values[f.key];
        if (v === undefined || v === null || v === '') { return; }
        if (f.group && groups.indexOf(f.group) < 0) { return; }
        if (f.from_device && device && device.facts[f.from_device] !== null && device.facts[f.from_device] !== undefined) { return; }
        if (f.type === 'rows') {
          v = v.map(function (row) {
            var r = {};
            Object.keys(row).forEach(function (k) { if (row[k] !== '' && row[k] !== null) { r[k] = row[k]; } });
            return r;
          });
        }
        out[f.key] = v;
      });
      return out;
    }
    function formFields() {
      var out = [];
      data.form_sections.forEach(function (s) { out = out.concat(s.fields); });
      return out;
    }
    function payload() {
      var groups = allGroups();
      var blocks = chosenDevices().map(function (d) {
        var fields = [];
        d.sections.forEach(function (s) { fields = fields.concat(s.fields); });
        var block = {device_id: d.facts.id, values: answers(fields, state.blocks[d.facts.id] || {}, blockGroups(d), d)};
        if (form.groups.length) { block.groups = blockGroups(d); }
        return block;
      });
      return {values: answers(formFields(), state.values, groups, null), blocks: blocks};
    }

    // ---- rendering (again after a device, a group or a table row is added or removed)
    function fieldId(path) { return 'f-' + path.replace(/[^A-Za-z0-9_-]/g, '-'); }

    function labelFor(f, path, device) {
      var unit = f.unit || (f.unit_from_device && device ? device.facts.unit : '');
      return el('label', {'for': fieldId(path)}, [f.label, unit ? el('span', {cls: 'fr-unit', text: '（' + unit + '）'}) : null,
        f.required ? el('span', {cls: 'req', text: '*'}) : null]);
    }

    function requiredHint(f, fields) {
      if (!f.required_when) { return null; }
      var other = fields.filter(function (x) { return x.key === f.required_when.field; })[0];
      if (!other) { return null; }
      var opt = (other.options || []).filter(function (o) { return o.value === f.required_when.equals; })[0];
      var when = opt ? opt.label : (f.required_when.equals === true ? '是' : String(f.required_when.equals));
      return el('div', {cls: 'hint', text: '“' + other.label + '”为“' + when + '”时必填'});
    }

    function input(f, values, path, device, onChange) {
      var value = values[f.key];
      var set = function (v) { values[f.key] = v; onChange(); };
      var id = fieldId(path);
      if (f.type === 'choice') {
        var select = el('select', {id: id, 'data-path': path, onchange: function () { set(select.value); }},
          [el('option', {value: '', text: '请选择'})].concat((f.options || []).map(function (o) {
            return el('option', {value: o.value, text: o.label, selected: o.value === value});
          })));
        return select;
      }
      if (f.type === 'boolean') {
        var name = id + '-b';
        return el('div', {cls: 'fr-seg', 'data-path': path}, [[true, '是'], [false, '否']].map(function (pair) {
          return el('label', {}, [el('input', {type: 'radio', name: name, value: String(pair[0]), checked: value === pair[0],
            onchange: function () { set(pair[0]); }}), ' ' + pair[1]]);
        }));
      }
      if (f.type === 'text' && f.multiline) {
        var area = el('textarea', {id: id, rows: 2, maxlength: f.max_len || 500, 'data-path': path,
                                   oninput: function () { set(area.value); }});
        area.value = value || '';
        return area;
      }
      var attrs = {id: id, 'data-path': path};
      if (f.type === 'number') { attrs.type = 'text'; attrs.inputmode = 'decimal'; attrs.autocomplete = 'off'; }
      else if (f.type === 'datetime') { attrs.type = 'datetime-local'; }
      else if (f.type === 'date') { attrs.type = 'date'; }
      else { attrs.type = 'text'; attrs.maxlength = f.max_len || 200; }
      var box = el('input', attrs);
      box.value = f.type === 'datetime' ? localInput(value) : (value === undefined || value === null ? '' : String(value));
      box.addEventListener(f.type === 'datetime' || f.type === 'date' ? 'change' : 'input', function () {
        set(f.type === 'datetime' ? fromLocalInput(box.value) : box.value);
      });
      return box;
    }

    function fieldNode(f, values, prefix, device, fields) {
      var path = prefix + '.' + f.key;
      if (f.from_device && device && device.facts[f.from_device] !== null && device.facts[f.from_device] !== undefined) {
        var unit = f.unit || (f.unit_from_device ? device.facts.unit || '' : '');
        return el('div', {cls: 'fld fr-f', 'data-field': path}, [el('label', {text: f.label}),
          el('div', {cls: 'fr-static', 'data-path': path, text: device.facts[f.from_device] + (unit ? ' ' + unit : '') + '（设备登记）'})]);
      }
      if (f.type === 'rows') { return rowsNode(f, values, path, device); }
      return el('div', {cls: 'fld fr-f', 'data-field': path}, [
        labelFor(f, path, device), input(f, values, path, device, changed), requiredHint(f, fields),
        f.judge ? el('div', {cls: 'fr-judge', 'data-judge': path}) : null]);
    }

    function rowsNode(f, values, path, device) {
      var rows = values[f.key] = values[f.key] || [];
      var wrap = el('div', {cls: 'fld fr-rows', 'data-field': path}, [
        el('div', {cls: 'fr-rows-head'}, [el('span', {cls: 'fr-rows-label', text: f.label}),
          f.min_rows ? el('span', {cls: 'hint', text: '至少' + f.min_rows + '行'}) : null])]);
      rows.forEach(function (row, j) {
        var rowPath = path + '[' + j + ']';
        var card = el('div', {cls: 'fr-row', 'data-field': rowPath}, [el('div', {cls: 'fr-row-no', text: '第' + (j + 1) + '行'})]);
        f.columns.forEach(function (c) {
          var cpath = rowPath + '.' + c.key;
          card.appendChild(el('div', {cls: 'fld fr-f', 'data-field': cpath}, [labelFor(c, cpath, device), input(c, row, cpath, device, changed)]));
        });
        card.appendChild(el('button', {type: 'button', cls: 'wx-btn secondary fr-small', text: '删除此行',
          onclick: function () { rows.splice(j, 1); render(); changed(); }}));
        wrap.appendChild(card);
      });
      if (rows.length < (f.max_rows || 50)) {
        wrap.appendChild(el('button', {type: 'button', cls: 'wx-btn secondary fr-small', 'data-add-row': path, text: '＋ 添加一行',
          onclick: function () {
            rows.push({});
            render();
            var added = host.querySelector('[data-field="' + path + '[' + (rows.length - 1) + ']"]');
            var first = added && added.querySelector('input, select, textarea');
            if (first) { first.focus(); }
          }}));
      }
      return wrap;
    }

    function itemNode(f, values, prefix) {
      var path = prefix + '.' + f.key;
      var answer = values[f.key] || {};
      var name = fieldId(path);
      var note = el('input', {type: 'text', cls: 'fr-note', maxlength: 500, placeholder: '请说明不正常的情况及处理',
                              'data-path': path + '.note', hidden: answer.result !== 'abnormal'});
      note.value = answer.note || '';
      note.addEventListener('input', function () { values[f.key] = {result: answer.result, note: note.value}; answer = values[f.key]; changed(); });
      var seg = el('div', {cls: 'fr-seg'}, form.check_results.map(function (o) {
        return el('label', {cls: o.value === 'abnormal' ? 'fr-abn' : ''}, [el('input', {type: 'radio', name: name, value: o.value,
          checked: answer.result === o.value, onchange: function () {
            answer = values[f.key] = {result: o.value, note: note.value};
            note.hidden = o.value !== 'abnormal';
            node.classList.toggle('fr-abnormal', o.value === 'abnormal');
            changed();
          }}), ' ' + o.label]);
      }));
      var node = el('div', {cls: 'fr-item-row' + (answer.result === 'abnormal' ? ' fr-abnormal' : ''), 'data-field': path},
        [el('div', {cls: 'fr-item-text', text: f.label}), seg, note]);
      return node;
    }

    function sectionNode(s, values, prefix, groups, device, computedPrefix) {
      var items = s.fields.filter(function (f) { return f.type === 'check' && groups.indexOf(f.group) >= 0; });
      var plain = s.fields.filter(function (f) { return f.type !== 'check'; });
      if (!items.length && !plain.length && !s.computed.length) { return null; }
      var node = el('div', {cls: 'fr-section', 'data-section': s.key}, [el('h3', {text: s.label})]);
      if (items.length) {
        node.appendChild(el('button', {type: 'button', cls: 'wx-btn secondary fr-small fr-all-normal', text: '本节全部正常',
          onclick: function () {
            items.forEach(function (f) { if (!(values[f.key] || {}).result) { values[f.key] = {result: 'normal', note: ''}; } });
            render(); changed();
          }}));
        form.groups.forEach(function (g) {
          var mine = items.filter(function (f) { return f.group === g.key; });
          if (!mine.length) { return; }
          node.appendChild(el('div', {cls: 'fr-group-title', text: g.label}));
          mine.forEach(function (f) { node.appendChild(itemNode(f, values, prefix)); });
        });
      }
      plain.forEach(function (f) { node.appendChild(fieldNode(f, values, prefix, device, s.fields)); });
      s.computed.forEach(function (c) {
        node.appendChild(el('div', {cls: 'fr-computed', 'data-computed': computedPrefix + '.' + c.key}, [
          el('div', {}, [el('span', {cls: 'fr-c-label', text: c.label + '：'}), el('b', {'data-role': 'value', text: '—'}),
            el('span', {cls: 'fr-unit', 'data-role': 'unit', text: ' ' + (c.unit || (c.unit_from_device && device ? device.facts.unit || '' : ''))}),
            el('span', {cls: 'fr-c-judge', 'data-role': 'judge'})]),
          el('div', {cls: 'fr-c-formula', text: '计算：' + c.formula_label})]));
      });
      return node;
    }

    function render() {
      host.innerHTML = '';
      if (restored) { host.appendChild(el('div', {cls: 'wx-alert warn', text: '已恢复本机上尚未保存的填写内容，请核对后保存。'})); }
      if (form.per_device) {
        var chooser = el('section', {cls: 'wx-card', id: 'devices', 'data-field': 'blocks'}, [el('h2', {text: '运维设备'})]);
        if (!devices.length) {
          chooser.appendChild(el('p', {cls: 'fr-bad', text: '该排口没有可用于“' + form.name + '”的已登记设备（须为任务所列设备，类型：' +
            Object.keys(form.device_kind_labels).map(function (k) { return form.device_kind_labels[k]; }).join('、') + '）。'}));
        }
        devices.forEach(function (d) {
          chooser.appendChild(el('label', {cls: 'fr-choice'}, [el('input', {type: 'checkbox', name: 'device', value: d.facts.id,
            checked: state.chosen.indexOf(d.facts.id) >= 0, onchange: function (e) {
              var i = state.chosen.indexOf(d.facts.id);
              if (e.target.checked && i < 0) { state.chosen.push(d.facts.id); }
              if (!e.target.checked && i >= 0) { state.chosen.splice(i, 1); }
              state.chosen.sort(function (a, b) { return devices.indexOf(byId[a]) - devices.indexOf(byId[b]); });
              render(); changed();
            }}), el('span', {text: d.label})]));
        });
        if (devices.length > 1) { chooser.appendChild(el('p', {cls: 'hint', text: '可选择多台设备，每台设备一个填报模块。'})); }
        host.appendChild(chooser);
      }
      if (form.groups.length) {
        host.appendChild(el('section', {cls: 'wx-card', id: 'groups', 'data-field': 'groups'}, [el('h2', {text: '检查维护类别'}),
          el('div', {cls: 'fr-chips'}, form.groups.map(function (g) {
            return el('label', {cls: 'fr-chip'}, [el('input', {type: 'checkbox', name: 'group', value: g.key,
              checked: state.groups.indexOf(g.key) >= 0, onchange: function (e) {
                var i = state.groups.indexOf(g.key);
                if (e.target.checked && i < 0) { state.groups.push(g.key); }
                if (!e.target.checked && i >= 0) { state.groups.splice(i, 1); }
                render(); changed();
              }}), el('span', {text: g.label})]);
          })), el('p', {cls: 'hint', text: '根据本次实际开展的检查维护选择，可多选。'})]));
      }
      var formGroups = allGroups();
      // Form-level sections keep their catalogue place: "late" ones come after the device blocks.
      data.form_sections.forEach(function (s) {
        if (s.late) { return; }
        var node = sectionNode(s, state.values, 'values', formGroups, null, 'values');
        if (node) { host.appendChild(el('section', {cls: 'wx-card fr-form-part'}, [node])); }
      });
      chosenDevices().forEach(function (d, i) {
        var values = state.blocks[d.facts.id] = state.blocks[d.facts.id] || {};
        var groups = blockGroups(d);
        var card = el('section', {cls: 'wx-card fr-block', 'data-field': 'blocks[' + i + ']', 'data-device': d.facts.id}, [
          el('h2', {text: d.label}),
          el('dl', {cls: 'fr-kv fr-head'}, [].concat.apply([], d.header.map(function (h) {
            return [el('dt', {text: h.label}), el('dd', {text: String(h.value)})];
          }))),
          el('div', {cls: 'fr-block-groups', 'data-field': 'blocks[' + i + '].groups'})]);
        var any = false;
        d.sections.forEach(function (s) {
          var node = sectionNode(s, values, 'blocks[' + i + '].values', groups, d, 'blocks[' + i + ']');
          if (node) { card.appendChild(node); any = true; }
        });
        if (!any && form.groups.length) {
          card.appendChild(el('p', {cls: 'wx-muted', text: d.groups.length ? '请先选择检查维护类别。' : '该设备没有本表单的检查项目。'}));
        }
        host.appendChild(card);
      });
      data.form_sections.forEach(function (s) {
        if (!s.late) { return; }
        var node = sectionNode(s, state.values, 'values', formGroups, null, 'values');
        if (node) { host.appendChild(el('section', {cls: 'wx-card fr-form-part'}, [node])); }
      });
      if (lastPreview) { paint(lastPreview); }
    }

    // ---- live preview of computed values (drift, errors, hours) and their limits
    var previewTimer = null, previewSeq = 0, lastPreview = null;
    function schedulePreview() {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(runPreview, 350);
    }
    function runPreview() {
      var seq = ++previewSeq;
      var sent = chosenDevices().map(function (d) { return d.facts; });
      request('POST', data.preview_url, {content: payload(), devices: sent}).then(function (result) {
        if (seq !== previewSeq) { return; }
        clearLive();
        lastPreview = result;
        paint(result);
      }, function (err) {
        if (seq !== previewSeq || err.network || !err.field) { return; }
        // A value the service would refuse (not a number, out of range): said beside it at once.
        clearLive();
        var marked = markField(host, err.field, err.message, true);
        if (marked) { marked.setAttribute('data-live-error', ''); }
      });
    }
    function clearLive() {
      $$('[data-live-error]', host).forEach(function (n) { n.removeAttribute('data-live-error'); clearErrors(n); });
    }
    function paintOne(prefix, key, entry) {
      var node = host.querySelector('[data-computed="' + prefix + '.' + key + '"]');
      var judge = node ? $('[data-role=judge]', node) : host.querySelector('[data-judge="' + (prefix === 'values' ? 'values' : prefix + '.values') + '.' + key + '"]');
      if (node) {
        $('[data-role=value]', node).textContent = entry.text;
        if (entry.unit) { $('[data-role=unit]', node).textContent = ' ' + entry.unit; }
      }
      if (!judge) { return; }
      var checks = entry.checks || [];
      var failed = checks.filter(function (c) { return !c.passed; });
      judge.textContent = !checks.length ? '' : (failed.length ? '  ✗ ' + failed.map(function (c) { return c.message; }).join('；') : '  ✓ 合格');
      judge.className = (node ? 'fr-c-judge ' : 'fr-judge ') + (failed.length ? 'fr-bad' : 'fr-good');
    }
    function paint(result) {
      $$('[data-computed] [data-role=value]', host).forEach(function (n) { n.textContent = '—'; });
      $$('[data-role=judge], [data-judge]', host).forEach(function (n) { n.textContent = ''; });
      Object.keys(result.values || {}).forEach(function (k) { paintOne('values', k, result.values[k]); });
      (result.blocks || []).forEach(function (b, i) {
        Object.keys(b.values || {}).forEach(function (k) { paintOne('blocks[' + i + ']', k, b.values[k]); });
      });
    }

    // ---- keeping what was typed
    function changed() {
      show(okBox, '');
      store(BACKUP, JSON.stringify({at: Date.now(), content: payloadAll(), description: description.value}));
      schedulePreview();
    }
    // The backup keeps every answer (also of unticked groups), in the content shape.
    function payloadAll() {
      return {values: state.values, blocks: chosenDevices().map(function (d) {
        var b = {device_id: d.facts.id, values: state.blocks[d.facts.id] || {}};
        if (form.groups.length) { b.groups = state.groups.slice(); }
        return b;
      })};
    }
    description.addEventListener('input', changed);

    function failed(err) {
      if (err.field && markField(root, err.field, err.message)) {
        show(errorBox, '请检查标红的项目：' + err.message);
      } else {
        show(errorBox, err.message);
      }
    }

    var saveButton = $('#save', root);
    var submitButton = $('#submit', root);
    saveButton.addEventListener('click', function () {
      clearErrors(root);
      show(errorBox, '');
      show(okBox, '');
      busy(saveButton, '保存中…');
      request('PUT', API + '/field-records/' + encodeURIComponent(record.id) + '/draft', {content: payload()})
        .then(function (saved) {
          store(BACKUP, undefined);
          record.updated_at = saved.updated_at;
          show(okBox, '草稿已保存（' + shanghai(saved.updated_at, true) + '），可在“草稿”中继续填报');
        }, failed).then(function () { idle(saveButton); });
    });

    submitButton.addEventListener('click', function () {
      clearErrors(root);
      show(errorBox, '');
      show(okBox, '');
      if (!$('#photos [data-kind=work]', root)) {
        markField(root, 'photos', '请上传面部清晰的工作照片');
        show(errorBox, '请上传面部清晰的工作照片');
        return;
      }
      if (pad.isEmpty()) {
        markField(root, 'signature', '请在签字区域签名');
        show(errorBox, '请在签字区域签名');
        return;
      }
      if (!pad.confirmed()) { pad.confirm(); }
      busy(submitButton, '正在定位…');
      locate().then(function (where) {
        positionBox($('#checkout-result', root), where);
        busy(submitButton, '正在上传…');
        var body = {submission_id: intent(SUBMIT), check_out: where, content: payload(),
                    signature: {content_base64: pad.png(), name: 'signature.png'}};
        if (description.value.trim()) { body.description = description.value.trim(); }
        var used = $$('input[name=equipment_ids]:checked', root).map(function (i) { return i.value; });
        if (used.length) { body.equipment_ids = used; }
        return request('POST', API + '/field-records/' + encodeURIComponent(record.id) + '/submit', body);
      }).then(function (done) {
        store(SUBMIT, undefined);
        store(BACKUP, undefined);
        checkinBox($('#checkout-result', root), '结束签到', done.check_out);
        show(okBox, '已结束签到并上传，记录编号 ' + done.number + '。正在打开记录…');
        busy(submitButton, '已上传');
        window.location.replace('/wx/om/records/' + encodeURIComponent(record.id) + '?done=1');
      }, function (err) {
        $('#checkout-result', root).hidden = true;
        failed(err);
        idle(submitButton);
      });
    });

    $$('.fr-upload', root).forEach(function (box) {
      uploader(box, API + '/field-records/' + encodeURIComponent(record.id) + '/photos', function (photo) {
        addPhoto($('#photos', root), photo);
        clearErrors($('#photos-card', root));
        show(errorBox, '');
      });
    });
    // A problem that has been put right stops being shown.
    $('#signature', root).addEventListener('signature-confirmed', function () {
      clearErrors($('#signature-card', root));
      show(errorBox, '');
    });

    render();
    schedulePreview();
  }

  // ---------------------------------------------------------------- 采样任务: 进场签到
  function tripStart(root) {
    var button = $('[data-role=go]', root);
    var error = $('[data-role=error]', root);
    var result = $('[data-role=result]', root);
    var key = 'emss.trip.' + root.dataset.task;
    button.addEventListener('click', function () {
      show(error, '');
      busy(button, '正在定位…');
      locate().then(function (where) {
        positionBox(result, where);
        busy(button, '正在签到…');
        return request('POST', API + '/sampling-trips', {submission_id: intent(key), sampling_task_id: root.dataset.task,
                                                        check_in: where});
      }).then(function (trip) {
        store(key, undefined);
        checkinBox(result, '进场', trip.arrival);
        window.location.href = '/wx/sampling/trips/' + encodeURIComponent(trip.id);
      }, function (err) {
        show(error, err.message);
        idle(button);
      });
    });
  }

  // ---------------------------------------------------------------- a sampling trip
  function tripPage(root) {
    var id = root.dataset.trip;
    var base = API + '/sampling-trips/' + encodeURIComponent(id);
    if (root.dataset.open !== '1') { return; }
    var pick = $('#s-photos .fr-pick', root);
    function offerPhoto(photo) {
      if (photo.kind !== 'sample' || pick.querySelector('[value="' + photo.id + '"]')) { return; }
      pick.appendChild(el('label', {cls: 'fr-choice'}, [el('input', {type: 'checkbox', name: 'photo_ids', value: photo.id}),
        el('img', {src: API + '/field-photos/' + encodeURIComponent(photo.id), alt: '样品照片', cls: 'fr-thumb'})]));
    }
    $$('#trip-photos [data-kind=sample]', root).forEach(function (fig) { offerPhoto({id: fig.dataset.photo, kind: 'sample'}); });
    $$('.fr-upload', root).forEach(function (box) {
      uploader(box, base + '/photos', function (photo) { addPhoto($('#trip-photos', root), photo); offerPhoto(photo); });
    });

    // 现场采样: one sample at a time; the point decides the items offered.
    var sampleForm = $('#sample-form', root);
    var point = $('#s-point', sampleForm);
    var item = $('#s-item', sampleForm);
    function syncItems() {
      var first = null;
      $$('option', item).forEach(function (o) {
        var mine = o.dataset.point === point.value;
        o.hidden = !mine;
        o.disabled = !mine;
        if (mine && !first) { first = o; }
      });
      if (item.selectedOptions[0] && item.selectedOptions[0].disabled && first) { item.value = first.value; }
      if (!item.value && first) { item.value = first.value; }
    }
    point.addEventListener('change', syncItems);
    syncItems();
    // 采样时间 defaults to "now": the moment of 添加样品 unless the sampler changed it (the page's own
    // load time can fall within the second of the arrival check-in, before it).
    $$('[data-default-now]', sampleForm).forEach(function (n) {
      if (!n.value) { n.value = nowLocalInput(); }
      n.addEventListener('input', function () { n.dataset.touched = '1'; });
    });
    var sampleKey = 'emss.sample.' + id;
    var addButton = $('#add-sample', sampleForm);
    addButton.addEventListener('click', function () {
      var error = $('[data-role=error]', sampleForm);
      $$('[data-default-now]', sampleForm).forEach(function (n) { if (!n.dataset.touched) { n.value = nowLocalInput(); } });
      clearErrors(sampleForm);
      show(error, '');
      var body = {sample_id: intent(sampleKey), point_index: parseInt(point.value, 10), item: item.value,
                  sample_code: $('#s-code', sampleForm).value.trim(), container: $('#s-container', sampleForm).value.trim(),
                  preservation: $('#s-preservation', sampleForm).value.trim(),
                  taken_at: fromLocalInput($('#s-taken', sampleForm).value),
                  photo_ids: $$('input[name=photo_ids]:checked', sampleForm).map(function (b) { return b.value; })};
      var note = $('#s-note', sampleForm).value.trim();
      if (note) { body.note = note; }
      busy(addButton, '保存中…');
      request('POST', base + '/samples', body).then(function () {
        store(sampleKey, undefined);
        window.location.reload();
      }, function (err) {
        if (!(err.field && markField(sampleForm, err.field, err.message))) { show(error, err.message); }
        idle(addButton);
      });
    });

    // 采样工况
    var condForm = $('#conditions-form', root);
    var condButton = $('#save-conditions', condForm);
    condButton.addEventListener('click', function () {
      var error = $('[data-role=error]', condForm);
      clearErrors(condForm);
      show(error, '');
      show($('[data-role=ok]', condForm), '');
      var load = $('#c-load', condForm).value.trim();
      var body = {production_status: $('#c-production', condForm).value || null,
                  load_pct: load === '' ? null : Number(load),
                  treatment_status: $('#c-treatment', condForm).value || null,
                  photo_ids: []};
      if (load !== '' && isNaN(body.load_pct)) { markField(condForm, 'load_pct', '应为数字'); return; }
      var note = $('#c-note', condForm).value.trim();
      if (note) { body.note = note; }
      busy(condButton, '保存中…');
      request('PUT', base + '/conditions', body).then(function () {
        show($('[data-role=ok]', condForm), '采样工况已保存');
        show($('#depart-error', root), '');
        condButton.dataset.label = '更新工况';
      }, function (err) {
        if (!(err.field && markField(condForm, err.field, err.message))) { show(error, err.message); }
      }).then(function () { idle(condButton); });
    });

    // 离场签到
    var pad = window.EmssSignature.attach($('#signature', root));
    var departButton = $('#depart', root);
    var departError = $('#depart-error', root);
    var departKey = 'emss.depart.' + id;
    departButton.addEventListener('click', function () {
      show(departError, '');
      if (pad.isEmpty()) { show(departError, '请在签字区域签名'); return; }
      if (!pad.confirmed()) { pad.confirm(); }
      busy(departButton, '正在定位…');
      locate().then(function (where) {
        positionBox($('#depart-result', root), where);
        busy(departButton, '正在签到…');
        return request('POST', base + '/depart', {submission_id: intent(departKey), check_out: where,
                                                  signature: {content_base64: pad.png(), name: 'signature.png'}});
      }).then(function () {
        store(departKey, undefined);
        window.location.reload();
      }, function (err) {
        $('#depart-result', root).hidden = true;
        show(departError, err.message);
        idle(departButton);
      });
    });
  }

  var pages = {start: startPage, record: recordPage, 'trip-start': tripStart, trip: tripPage};
  $$('[data-fr]').forEach(function (root) {
    var run = pages[root.getAttribute('data-fr')];
    if (run) { run(root); }
  });
})();
