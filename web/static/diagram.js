/*
 * Zone process diagram: renders the BPMN XML behind <div id="diagram"> with the
 * vendored bpmn-js NavigatedViewer (global BpmnJS, web/static/vendor/) and marks
 * where the zone is.  Plain script, no build step; see web/templates/_diagram.html.
 *
 *   <div id="diagram" data-src="/…/process.bpmn" data-current="id1 id2"
 *        data-done="id3 id4" data-label="…">流程图无法显示</div>
 *
 * The div's initial text is the fallback: it stays when the viewer is missing
 * and is put back when fetching or importing the diagram fails.
 */
(function () {
  'use strict';

  var PAD = 12;          // px around the fitted diagram
  var PAD_BOTTOM = 44;   // px kept free at the bottom for the bpmn.io logo

  function ids(value) {
    return (value || '').split(/\s+/).filter(Boolean);
  }

  function fail(el, message, error) {
    el.textContent = message;
    el.setAttribute('data-state', 'failed');
    if (error && window.console) {
      console.warn('diagram: ' + (error && error.message || error));
    }
  }

  function sameOrigin(src) {
    try {
      return new URL(src, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  function render(el) {
    if (el.getAttribute('data-state')) {
      return; // already handled (script included twice)
    }
    var fallback = el.textContent.trim() || '流程图无法显示';
    var src = el.getAttribute('data-src');
    el.setAttribute('data-state', 'loading');

    if (typeof window.BpmnJS !== 'function') {
      return fail(el, fallback, 'bpmn-js viewer not loaded');
    }
    if (!src || !sameOrigin(src)) {
      return fail(el, fallback, 'missing or cross-origin data-src');
    }

    var viewer;
    window.fetch(src, {
      mode: 'same-origin',
      credentials: 'same-origin',
      headers: { Accept: 'application/xml, text/xml' }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error('HTTP ' + response.status + ' for ' + src);
      }
      return response.text();
    }).then(function (xml) {
      el.textContent = '';
      viewer = new window.BpmnJS({ container: el });
      return viewer.importXML(xml);
    }).then(function (result) {
      if (result && result.warnings && result.warnings.length && window.console) {
        console.warn('diagram: ' + result.warnings.length + ' import warning(s)', result.warnings);
      }
      var canvas = viewer.get('canvas');
      var registry = viewer.get('elementRegistry');
      // Fit now, and again when the box changes size (layout settling, window
      // resize) until the user pans or zooms the diagram themselves.
      var fitting = false;
      var userMoved = false;
      function fit() {
        fitting = true;
        try {
          canvas.resized();
          var box = canvas.viewbox();
          var inner = box.inner;
          var outer = box.outer;
          // like canvas.zoom('fit-viewport', 'auto'), but with a margin and a
          // clear strip at the bottom for the bpmn.io logo (bottom right, required
          // by the bpmn-js licence) so it does not cover end events
          var availW = outer.width - 2 * PAD;
          var availH = outer.height - PAD - PAD_BOTTOM;
          if (!inner.width || !inner.height || availW <= 0 || availH <= 0) {
            canvas.zoom('fit-viewport', 'auto');
            return;
          }
          var scale = Math.min(1, availW / inner.width, availH / inner.height);
          canvas.viewbox({
            x: inner.x - (outer.width - inner.width * scale) / 2 / scale,
            y: inner.y - (PAD + (availH - inner.height * scale) / 2) / scale,
            width: outer.width / scale,
            height: outer.height / scale
          });
        } finally {
          fitting = false;
        }
      }
      fit();
      viewer.get('eventBus').on('canvas.viewbox.changed', function () {
        if (!fitting) {
          userMoved = true;
        }
      });

      function mark(list, cls) {
        ids(list).forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, cls);
          }
        });
      }
      mark(el.getAttribute('data-done'), 'is-done');
      mark(el.getAttribute('data-current'), 'is-current');
      mark(el.getAttribute('data-overdue'), 'is-overdue');

      // diagram-js binds its keyboard to the <svg> canvas (Ctrl/Cmd+arrows pan,
      // add Shift for bigger steps) and already gives it tabindex=0; name that
      // focus target for assistive tech.  The viewer has no keyboard zoom, so
      // add one: + / - zoom around the centre, 0 fits the whole diagram again.
      var svg = el.querySelector('.djs-container > svg');
      if (svg) {
        svg.setAttribute('tabindex', '0');
        svg.setAttribute('role', 'img');
        svg.setAttribute('aria-label', el.getAttribute('data-label') || fallback);
        svg.addEventListener('keydown', function (event) {
          if (event.ctrlKey || event.metaKey || event.altKey) {
            return;
          }
          if (event.key === '+' || event.key === '=') {
            canvas.zoom(canvas.zoom() * 1.25);
          } else if (event.key === '-' || event.key === '_') {
            canvas.zoom(canvas.zoom() / 1.25);
          } else if (event.key === '0') {
            userMoved = false;
            fit();
          } else {
            return;
          }
          event.preventDefault();
        });
      }

      var onResize = function () {
        if (userMoved) {
          canvas.resized();
        } else {
          fit();
        }
      };
      if (typeof window.ResizeObserver === 'function') {
        new window.ResizeObserver(onResize).observe(el);
      } else {
        window.addEventListener('resize', onResize);
      }
      el.setAttribute('data-state', 'ready');
    }).catch(function (error) {
      if (viewer) {
        try { viewer.destroy(); } catch (e) { /* ignore */ }
      }
      fail(el, fallback, error);
    });
  }

  function init() {
    var el = document.getElementById('diagram');
    if (el) {
      render(el);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
