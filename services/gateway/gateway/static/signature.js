/* The signature pad (签字): draw with a finger, a stylus or a mouse on a canvas; 确定 keeps the
   signature, 重置 clears it. No library: pointer events cover touch and mouse alike.

   var pad = EmssSignature.attach(box)   // box holds a <canvas>, [data-sig=ok], [data-sig=clear], [data-sig=status]
   pad.isEmpty()  pad.confirmed()  pad.png() → base64 PNG (no "data:" prefix)  pad.clear() */
(function () {
  'use strict';
  var MIN_INK = 30;  // CSS pixels of line: less is a stray tap, not a signature

  function attach(box) {
    var canvas = box.querySelector('canvas');
    var ctx = canvas.getContext('2d');
    var status = box.querySelector('[data-sig=status]');
    var ink = 0, last = null, locked = false, width = 0, height = 0;

    function paper() {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = '#fff';  // an opaque PNG: a transparent one shows black in some viewers
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.restore();
    }

    function size() {
      var ratio = Math.max(1, window.devicePixelRatio || 1);
      width = canvas.clientWidth;
      height = canvas.clientHeight;
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.6;
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      ctx.strokeStyle = '#111';
      paper();
    }

    function at(e) {
      var r = canvas.getBoundingClientRect();
      return {x: e.clientX - r.left, y: e.clientY - r.top};
    }

    function say(text, cls) {
      if (!status) { return; }
      status.textContent = text;
      status.className = 'fr-sig-status' + (cls ? ' ' + cls : '');
    }

    canvas.addEventListener('pointerdown', function (e) {
      if (locked) { say('已确定签名，如需重签请先点“重置”', 'bad'); return; }
      e.preventDefault();
      if (canvas.setPointerCapture) { canvas.setPointerCapture(e.pointerId); }
      last = at(e);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fillStyle = '#111';
      ctx.fill();
    });
    canvas.addEventListener('pointermove', function (e) {
      if (!last || locked) { return; }
      e.preventDefault();
      var p = at(e);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      ink += Math.abs(p.x - last.x) + Math.abs(p.y - last.y);
      last = p;
    });
    function end() {
      if (last && !locked && ink >= MIN_INK) { say('已签名，点“确定”完成签字'); }
      last = null;
    }
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('pointerleave', end);

    var pad = {
      isEmpty: function () { return ink < MIN_INK; },
      confirmed: function () { return locked; },
      png: function () { return canvas.toDataURL('image/png').split(',')[1]; },
      clear: function () {
        ink = 0; last = null; locked = false;
        box.classList.remove('fr-signed');
        paper();
        say('请在上方空白处签名');
      },
      confirm: function () {
        if (pad.isEmpty()) { say('请先在空白处签名', 'bad'); return false; }
        locked = true;
        box.classList.add('fr-signed');
        say('签名已确定', 'ok');
        box.dispatchEvent(new CustomEvent('signature-confirmed', {bubbles: true}));
        return true;
      }
    };
    var ok = box.querySelector('[data-sig=ok]');
    var clear = box.querySelector('[data-sig=clear]');
    if (ok) { ok.addEventListener('click', function () { pad.confirm(); }); }
    if (clear) { clear.addEventListener('click', function () { pad.clear(); }); }
    window.addEventListener('resize', function () {
      if (pad.isEmpty() && canvas.clientWidth !== width) { size(); }  // a drawn signature is kept as it is
    });
    size();
    say('请在上方空白处签名');
    return pad;
  }

  window.EmssSignature = {attach: attach};
})();
