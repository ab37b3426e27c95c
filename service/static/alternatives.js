// The post form's sentence alternatives editor: split the text into sentences, add, edit,
// delete and tick alternatives per sentence, ask for 改写建议, show how many distinct bodies
// the ticked alternatives give. The server splits, checks and counts; no dependencies.
(function () {
  "use strict";
  var editor = document.querySelector("[data-alt-editor]");
  if (!editor) { return; }
  var list = editor.querySelector("[data-sentence-list]");
  var hidden = editor.querySelector("[data-sentences-json]");
  var counter = editor.querySelector("[data-distinct-count]");
  var editorError = editor.querySelector("[data-editor-error]");
  var textField = editor.dataset.textField ? document.getElementById(editor.dataset.textField) : null;
  var protectedField = document.getElementById(editor.dataset.protectedField);
  var sentences = [];
  var timer = null;

  function text() { return textField ? textField.value : (editor.dataset.fixedText || ""); }
  function terms() {
    return (protectedField ? protectedField.value : "").split(/[\n，]/)
      .map(function (t) { return t.trim(); }).filter(Boolean);
  }
  function payload() {
    return sentences.map(function (s) {
      return { text: s.text, alternatives: s.alternatives.filter(function (a) { return a.text.trim(); }) };
    });
  }
  function hasAlternatives() {
    return sentences.some(function (s) { return s.alternatives.some(function (a) { return a.text.trim(); }); });
  }
  function serialise() { hidden.value = hasAlternatives() ? JSON.stringify(payload()) : ""; }

  function call(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
        "X-CSRF-Token": editor.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.message || data.detail || ("请求失败（" + response.status + "）")); }
        return data;
      });
    });
  }

  function showCount(n) { counter.textContent = "已勾选的改写可组合出 " + n + " 种正文。"; counter.dataset.value = n; }

  function check() {
    serialise();
    call(editor.dataset.sentencesUrl, { text: text(), protected: terms(), sentences: hasAlternatives() ? payload() : null })
      .then(function (data) { editorError.textContent = ""; showCount(data.distinct_bodies); })
      .catch(function (e) { editorError.textContent = e.message; });
  }
  function later(fn, ms) { clearTimeout(timer); timer = setTimeout(fn, ms); }

  function split() {
    return call(editor.dataset.sentencesUrl, { text: text(), protected: terms(), sentences: null })
      .then(function (data) {
        var old = {};
        sentences.forEach(function (s) { old[s.text] = s.alternatives; });
        var fresh = data.sentences.filter(function (s) { return s.text.trim(); });
        var same = fresh.length === sentences.length && fresh.every(function (s, i) {
          return s.text === sentences[i].text;
        });
        editorError.textContent = "";
        if (!same) {  // re-render only a changed split, so open suggestions stay
          sentences = fresh.map(function (s) { return { text: s.text, alternatives: old[s.text] || [] }; });
          render();
        }
        check();
      })
      .catch(function (e) { editorError.textContent = e.message; });
  }

  function el(tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (content) { node.textContent = content; }
    return node;
  }

  function altRow(sentence, alt) {
    var row = el("div", { "class": "alt", "data-alt": "" });
    var tick = el("input", { type: "checkbox", "data-approve": "", "aria-label": "采用这条改写" });
    tick.checked = alt.approved !== false;
    var input = el("input", { type: "text", "data-alt-text": "", maxlength: "500", "aria-label": "改写" });
    input.value = alt.text;
    var remove = el("button", { type: "button", "data-delete": "" }, "删除");
    tick.addEventListener("change", function () { alt.approved = tick.checked; check(); });
    input.addEventListener("input", function () { alt.text = input.value; later(check, 500); });
    remove.addEventListener("click", function () {
      sentence.alternatives.splice(sentence.alternatives.indexOf(alt), 1);
      render(); check();
    });
    row.appendChild(tick); row.appendChild(input); row.appendChild(remove);
    return row;
  }

  function suggest(sentence, box, message) {
    box.textContent = "正在生成改写建议…";
    message.textContent = "";
    call(editor.dataset.suggestUrl, { sentence: sentence.text, protected: terms() })
      .then(function (data) {
        box.textContent = data.suggestions.length ? "" : "没有通过检查的改写建议。";
        data.suggestions.forEach(function (suggestion) {
          var button = el("button", { type: "button", "data-suggestion": "" }, "＋ " + suggestion);
          button.addEventListener("click", function () {
            sentence.alternatives.push({ text: suggestion, approved: true });
            render(); check();
          });
          box.appendChild(button);
        });
      })
      .catch(function (e) { box.textContent = ""; message.textContent = e.message; });
  }

  function render() {
    list.textContent = "";
    sentences.forEach(function (sentence, i) {
      var block = el("div", { "class": "sentence", "data-sentence": String(i) });
      block.appendChild(el("p", { "class": "sentence-text" }, sentence.text));
      sentence.alternatives.forEach(function (alt) { block.appendChild(altRow(sentence, alt)); });
      var add = el("button", { type: "button", "data-add": "" }, "添加改写");
      var ask = el("button", { type: "button", "data-suggest": "" }, "改写建议");
      var box = el("div", { "class": "suggestions", "data-suggestions": "" });
      var message = el("p", { "class": "alt-error", "data-suggest-error": "", role: "alert" });
      add.addEventListener("click", function () {
        sentence.alternatives.push({ text: "", approved: true });
        render();
        var inputs = list.querySelectorAll('[data-sentence="' + i + '"] [data-alt-text]');
        inputs[inputs.length - 1].focus();
      });
      ask.addEventListener("click", function () { suggest(sentence, box, message); });
      block.appendChild(add); block.appendChild(ask); block.appendChild(box); block.appendChild(message);
      list.appendChild(block);
    });
  }

  editor.querySelector("[data-split]").addEventListener("click", split);
  if (textField) { textField.addEventListener("input", function () { later(split, 800); }); }
  var initial = [];
  try { initial = hidden.value ? JSON.parse(hidden.value) : []; } catch (e) { initial = []; }
  if (initial.length) {
    sentences = initial.map(function (s) { return { text: s.text, alternatives: s.alternatives || [] }; });
    render(); check();
  } else if (text().trim()) {
    split();
  }
})();
