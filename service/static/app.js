// momentcast pages: copy buttons, "我已发布" without reload, upload progress. No dependencies.
(function () {
  "use strict";

  function toast(message) {
    var old = document.querySelectorAll(".toast");
    for (var i = 0; i < old.length; i++) { old[i].remove(); }
    var el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("role", "status");
    el.textContent = message;
    document.body.appendChild(el);
    setTimeout(function () { el.remove(); }, 1800);
  }

  // WeChat's in-app browser often lacks navigator.clipboard: fall back to execCommand.
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-fallback";
    area.style.position = "fixed";
    area.style.top = "0";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.focus();
    area.select();
    area.setSelectionRange(0, text.length);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; },
        function () { return fallbackCopy(text); });
    }
    return Promise.resolve(fallbackCopy(text));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    copyText(source.textContent).then(function (ok) {
      toast(ok ? "已复制，去朋友圈粘贴吧" : "复制失败，请长按文字手动复制");
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-posted")) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, { method: "POST", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          button.textContent = "已发布 ✓";
          button.className = "done";
          toast("已记录，谢谢！");
        })
        .catch(function () { button.disabled = false; toast("没有记录成功，请重试"); });
    } else if (form.hasAttribute("data-upload") && window.FormData && window.XMLHttpRequest) {
      event.preventDefault();
      upload(form);
    }
  });

  function upload(form) {
    var bar = form.querySelector("progress");
    var status = form.querySelector("[data-upload-status]");
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "text/html");
    bar.hidden = false;
    request.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        bar.value = e.loaded / e.total;
        status.textContent = "上传中 " + Math.round(100 * e.loaded / e.total) + "%";
      }
    };
    request.upload.onload = function () { status.textContent = "处理中…"; };
    request.onload = function () {
      if (request.responseURL && request.status < 400 && request.responseURL !== form.action) {
        window.location.href = request.responseURL;
      } else {
        document.open(); document.write(request.responseText); document.close();
      }
    };
    request.onerror = function () { status.textContent = "上传失败，请检查网络后重试"; };
    request.send(new FormData(form));
  }

  var counter = document.querySelector("[data-count-for]");
  if (counter) {
    var field = document.getElementById(counter.getAttribute("data-count-for"));
    var update = function () { counter.textContent = field.value.length + " / 2000"; };
    field.addEventListener("input", update);
    update();
  }
  // The publish plan on the preview page: poll until every copy is ready.
  var plan = document.querySelector("[data-plan-url]");
  function refreshPlan() {
    fetch(plan.getAttribute("data-plan-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var bar = plan.querySelector("[data-plan-progress]");
        bar.max = data.reps || 1;
        bar.value = data.copies_ready;
        var text = "已生成 " + data.copies_ready + "/" + data.reps + " · 已提醒 " + data.reminded +
          " · 已发布 " + data.posted + "（" + Math.round(data.execution_rate * 100) + "%）";
        if (data.reminders_failed) { text += " · 提醒失败 " + data.reminders_failed; }
        plan.querySelector("[data-plan-text]").textContent = text;
        setTimeout(refreshPlan, data.copies_ready < data.reps ? 2000 : 15000);
      });
  }
  if (plan) { setTimeout(refreshPlan, 1000); }
})();
