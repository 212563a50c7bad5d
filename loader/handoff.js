// The cross-domain hand-off (docs/contract.md §8): when the visitor follows a link or submits a form
// to another of the business's sites (the tag's data-affitor-domains), the address carries the
// click id, added at that moment: the link's href (or a POST form's action) for as long as the
// browser takes it, then put back as the page wrote it; a GET form's data gets a field (the
// formdata event), and its DOM stays as it is. Which sites, which id: the tracker decides
// (m.outbound). The listeners are here, not in the wasm: measured, 1.7 KB gzip less; the URL is
// parsed by the browser's URL, not by the tracker (measured: 448 B gzip less). The tag fetches
// this file (dist/affitor_tracker_handoff.js) only where a list is configured.

export function followLinks(m) {
  var armed; // [form, click id]: a GET form on its way to a listed site
  // `url` with the click id, if it leads to a listed site and a click id is held; else nothing.
  function to(url) {
    try {
      var id = m.outbound(new URL(url).hostname);
      if (!id) return;
      var i = url.indexOf('#');
      var at = i < 0 ? url.length : i;
      var base = url.slice(0, at);
      return base + (base.indexOf('?') < 0 ? '?' : '&') + 'affitor_click_id=' + id + url.slice(at);
    } catch (e) {}
  }
  function later(f) {
    setTimeout(f, 0);
  }
  // After the navigation has taken the address: the attribute as the page wrote it.
  function putBack(el, name, was) {
    later(function () {
      try {
        if (was === null) el.removeAttribute(name);
        else el.setAttribute(name, was);
      } catch (e) {}
    });
  }
  function link(e) {
    try {
      if (e.defaultPrevented || (e.type === 'auxclick' && e.button !== 1)) return;
      var a = e.target.closest('a[href],area[href]');
      var url = a && to(a.href);
      if (!url) return;
      var was = a.getAttribute('href');
      a.href = url;
      putBack(a, 'href', was);
    } catch (x) {}
  }
  function submit(e) {
    try {
      if (e.defaultPrevented) return;
      var form = e.target;
      var s = e.submitter;
      var own = s && s.hasAttribute('formaction');
      var method = s && s.hasAttribute('formmethod') ? s.formMethod : form.method;
      var url = to(own ? s.formAction : form.action);
      if (!url) return;
      if (method === 'get') {
        armed = [form, m.outbound(new URL(url).hostname)];
        later(function () {
          armed = null;
        });
      } else if (method === 'post') {
        var el = own ? s : form;
        var name = own ? 'formaction' : 'action';
        var was = el.getAttribute(name);
        el.setAttribute(name, url);
        putBack(el, name, was);
      }
    } catch (x) {}
  }
  function formdata(e) {
    try {
      if (armed && armed[0] === e.target) e.formData.append('affitor_click_id', armed[1]);
    } catch (x) {}
    armed = null;
  }
  addEventListener('click', link);
  addEventListener('auxclick', link);
  addEventListener('submit', submit);
  addEventListener('formdata', formdata);
}
