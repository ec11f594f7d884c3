/*
 * Process diagram: renders the BPMN XML behind <div id="diagram"> with the vendored
 * bpmn-js NavigatedViewer (global BpmnJS, web/static/vendor/), marks the path of the
 * instance on screen, and lists an element's steps when it is clicked or chosen with
 * the keyboard.  Plain script, no build step; see web/templates/_diagram.html.
 *
 *   <div id="diagram" data-src="/…/diagram.bpmn" data-current="id1" data-done="id2 id3"
 *        data-overdue="" data-flows="flow1 flow2" data-steps="element-steps" data-label="…">
 *
 * The diagram opens at a readable scale (labels at least ~11 px): the whole diagram when it
 * fits at that scale, else the part where the instance is now.  The toolbar (and + / - / 0
 * on the focused canvas) zooms and fits.  The div's initial text is the fallback: it stays
 * when the viewer is missing and is put back when fetching or importing the diagram fails.
 */
(function () {
  'use strict';

  var PAD = 12;          // px around the fitted diagram
  var PAD_BOTTOM = 44;   // px kept free at the bottom for the bpmn.io logo
  var READABLE = 0.9;    // bpmn-js draws labels at 11-12 px at scale 1
  var STEP = 1.25;

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

  function Viewport(el, canvas) {
    this.el = el;
    this.canvas = canvas;
    this.fitting = false;
    this.userMoved = false;
  }

  Viewport.prototype.quietly = function (fn) {
    this.fitting = true;
    try {
      this.canvas.resized();
      fn();
    } finally {
      this.fitting = false;
      this.el.setAttribute('data-zoom', this.canvas.zoom().toFixed(2));
    }
  };

  // like canvas.zoom('fit-viewport'), with a margin and a strip at the bottom for the
  // bpmn.io logo (required by the bpmn-js licence); never above scale 1
  Viewport.prototype.fitScale = function () {
    var box = this.canvas.viewbox();
    var availW = box.outer.width - 2 * PAD;
    var availH = box.outer.height - PAD - PAD_BOTTOM;
    if (!box.inner.width || !box.inner.height || availW <= 0 || availH <= 0) {
      return 1;
    }
    return Math.min(1, availW / box.inner.width, availH / box.inner.height);
  };

  Viewport.prototype.fit = function () {
    var canvas = this.canvas;
    var self = this;
    this.quietly(function () {
      var box = canvas.viewbox();
      var scale = self.fitScale();
      var availH = box.outer.height - PAD - PAD_BOTTOM;
      canvas.viewbox({
        x: box.inner.x - (box.outer.width - box.inner.width * scale) / 2 / scale,
        y: box.inner.y - (PAD + (availH - box.inner.height * scale) / 2) / scale,
        width: box.outer.width / scale,
        height: box.outer.height / scale
      });
    });
  };

  // scale 1 around the given shapes (where the instance is), else the diagram's start
  Viewport.prototype.focus = function (shapes) {
    var canvas = this.canvas;
    this.quietly(function () {
      var outer = canvas.viewbox().outer;
      var inner = canvas.viewbox().inner;
      var box = shapes.length ? bounds(shapes) : { x: inner.x, y: inner.y, width: 0, height: inner.height };
      var cx = shapes.length ? box.x + box.width / 2 : inner.x + outer.width / 2 - PAD;
      var cy = box.y + box.height / 2;
      canvas.viewbox({ x: cx - outer.width / 2, y: cy - outer.height / 2, width: outer.width, height: outer.height });
    });
  };

  Viewport.prototype.readable = function (shapes) {
    var self = this;
    this.quietly(function () { /* measure the box */ });
    if (this.fitScale() >= READABLE) {
      this.fit();
    } else {
      this.focus(shapes);
    }
    self.userMoved = false;
  };

  Viewport.prototype.zoomBy = function (factor) {
    var canvas = this.canvas;
    this.quietly(function () {
      canvas.zoom(Math.max(0.2, Math.min(4, canvas.zoom() * factor)), 'auto');
    });
    this.userMoved = true;
  };

  function bounds(shapes) {
    var x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    shapes.forEach(function (s) {
      x1 = Math.min(x1, s.x);
      y1 = Math.min(y1, s.y);
      x2 = Math.max(x2, s.x + s.width);
      y2 = Math.max(y2, s.y + s.height);
    });
    return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
  }

  function Steps(panel, registry) {
    this.panel = panel;
    this.registry = registry;
  }

  Steps.prototype.show = function (id) {
    if (!this.panel) {
      return;
    }
    var sections = this.panel.querySelectorAll('.element[data-element]');
    var chosen = null;
    Array.prototype.forEach.call(sections, function (section) {
      var match = section.getAttribute('data-element') === id;
      section.hidden = !match;
      if (match) {
        chosen = section;
      }
    });
    if (!chosen) {
      chosen = this.panel.querySelector('.element[data-element="*"]');
      if (chosen) {
        chosen.hidden = false;
      }
    }
    var hint = this.panel.querySelector('.hint');
    if (hint) {
      hint.hidden = true;
    }
    var status = this.panel.querySelector('.chosen');
    var element = this.registry.get(id);
    var name = element && element.businessObject && element.businessObject.name || id;
    if (status) {
      status.textContent = name;
    }
    this.panel.setAttribute('data-chosen', id);
  };

  function flowNode(element) {
    if (element && element.type === 'label') {
      element = element.labelTarget;
    }
    var bo = element && element.businessObject;
    return bo && bo.$instanceOf && bo.$instanceOf('bpmn:FlowNode') ? element : null;
  }

  function markPath(el, canvas, registry) {
    var marked = {};
    function mark(list, cls) {
      ids(list).forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, cls);
          marked[id] = true;
        }
      });
    }
    mark(el.getAttribute('data-done'), 'is-done');
    mark(el.getAttribute('data-flows'), 'is-taken');
    mark(el.getAttribute('data-current'), 'is-current');
    mark(el.getAttribute('data-overdue'), 'is-overdue');
    // comparing two versions: what the other version lacks, has new, or has changed
    mark(el.getAttribute('data-removed'), 'is-removed');
    mark(el.getAttribute('data-added'), 'is-added');
    mark(el.getAttribute('data-changed'), 'is-changed');
    return marked;
  }

  // the marked shapes become buttons in the tab order: Enter or Space lists their steps
  function keyboardShapes(el, marked, registry, canvas, steps) {
    var done = ids(el.getAttribute('data-done'));
    var here = ids(el.getAttribute('data-current'));
    Object.keys(marked).forEach(function (id) {
      var element = flowNode(registry.get(id));
      var gfx = element && registry.getGraphics(element);
      if (!gfx) {
        return;
      }
      // the accessible name begins with the label as drawn (bpmn-js may wrap it), so what is seen is what is heard
      var name = (gfx.textContent || '').replace(/\s+/g, ' ').trim() || element.businessObject.name || id;
      var state = here.indexOf(id) >= 0 ? el.getAttribute('data-here-label') : (done.indexOf(id) >= 0 ? el.getAttribute('data-done-label') : '');
      gfx.setAttribute('tabindex', '0');
      gfx.setAttribute('role', 'button');
      gfx.setAttribute('aria-label', state ? name + ' (' + state + ')' : name);
      gfx.addEventListener('keydown', function (event) {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          steps.show(id);
        }
      });
      gfx.addEventListener('focus', function () {
        canvas.addMarker(id, 'is-focused');
        if (typeof canvas.scrollToElement === 'function') {
          canvas.scrollToElement(element, 40);
        }
      });
      gfx.addEventListener('blur', function () {
        canvas.removeMarker(id, 'is-focused');
      });
    });
  }

  function toolbar(el, view, current) {
    var frame = el.parentNode;
    var tools = frame && frame.querySelector('.diagram-tools');
    if (!tools) {
      return;
    }
    tools.addEventListener('click', function (event) {
      var button = event.target.closest('button[data-zoom]');
      if (!button) {
        return;
      }
      var action = button.getAttribute('data-zoom');
      if (action === 'in') {
        view.zoomBy(STEP);
      } else if (action === 'out') {
        view.zoomBy(1 / STEP);
      } else if (action === 'fit') {
        view.fit();
        view.userMoved = true;
      } else if (action === 'here') {
        view.focus(current);
        view.userMoved = true;
      }
    });
    tools.setAttribute('data-ready', 'true');
  }

  function canvasKeys(el, view, fallback) {
    // diagram-js binds its keyboard to the <svg> canvas (Ctrl/Cmd+arrows pan) and gives
    // it tabindex=0; name that focus target and add + / - zoom and 0 for the whole diagram.
    var svg = el.querySelector('.djs-container > svg');
    if (!svg) {
      return;
    }
    svg.setAttribute('tabindex', '0');
    svg.setAttribute('role', 'group');  // not 'img': it holds the shapes that are buttons
    svg.setAttribute('aria-label', el.getAttribute('data-label') || fallback);
    svg.addEventListener('keydown', function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.target !== svg) {
        return;
      }
      if (event.key === '+' || event.key === '=') {
        view.zoomBy(STEP);
      } else if (event.key === '-' || event.key === '_') {
        view.zoomBy(1 / STEP);
      } else if (event.key === '0') {
        view.fit();
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  function ready(el, viewer, fallback) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var eventBus = viewer.get('eventBus');
    var view = new Viewport(el, canvas);
    var marked = markPath(el, canvas, registry);
    var current = ids(el.getAttribute('data-current')).map(function (id) {
      return registry.get(id);
    }).filter(Boolean);
    view.readable(current);
    eventBus.on('canvas.viewbox.changed', function () {
      if (!view.fitting) {
        view.userMoved = true;
        el.setAttribute('data-zoom', canvas.zoom().toFixed(2));
      }
    });
    var steps = new Steps(document.getElementById(el.getAttribute('data-steps') || ''), registry);
    eventBus.on('element.click', function (event) {
      var element = flowNode(event.element);
      if (element) {
        steps.show(element.id);
      }
    });
    keyboardShapes(el, marked, registry, canvas, steps);
    toolbar(el, view, current);
    canvasKeys(el, view, fallback);
    var onResize = function () {
      if (view.userMoved) {
        canvas.resized();
      } else {
        view.readable(current);
      }
    };
    if (typeof window.ResizeObserver === 'function') {
      new window.ResizeObserver(onResize).observe(el);
    } else {
      window.addEventListener('resize', onResize);
    }
    el.setAttribute('data-state', 'ready');
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
      ready(el, viewer, fallback);
    }).catch(function (error) {
      if (viewer) {
        try { viewer.destroy(); } catch (e) { /* ignore */ }
      }
      fail(el, fallback, error);
    });
  }

  function init() {
    // one diagram on most pages; two side by side when comparing versions
    Array.prototype.forEach.call(document.querySelectorAll('.diagram[data-src]'), render);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
