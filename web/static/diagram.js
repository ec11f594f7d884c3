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
      canvas.zoom('fit-viewport', 'auto');

      function mark(list, cls) {
        ids(list).forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, cls);
          }
        });
      }
      mark(el.getAttribute('data-done'), 'is-done');
      mark(el.getAttribute('data-current'), 'is-current');

      // diagram-js binds its keyboard (arrow keys pan) to the <svg> canvas and
      // already gives it tabindex=0; name that focus target for assistive tech.
      var svg = el.querySelector('.djs-container > svg');
      if (svg) {
        svg.setAttribute('tabindex', '0');
        svg.setAttribute('role', 'img');
        svg.setAttribute('aria-label', el.getAttribute('data-label') || fallback);
      }

      window.addEventListener('resize', function () {
        canvas.resized();
      });
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
