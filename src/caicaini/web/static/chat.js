// The web chat (chat.html): sends a message to /api/v1/chat/messages and reads the reply as
// server-sent events from the response body (fetch, so the request can be a POST carrying
// the CSRF token). While a reply streams, its markdown is previewed with the vendored
// marked, sanitised by DOMPurify to the same allow-list as the server's nh3 (no images,
// no style, links only to http(s) and mailto); without them it shows as plain text. When it
// is done, the server's sanitised thread replaces it, with the cost, the receipt and the
// branch controls, and the balance in the page header is updated.
//
// Events: start {conversation_id, url, message_id, ...}, delta {text}, done {status,
// credits_charged, balance, receipt_url, ...}. Errors before the stream are JSON
// {error: {code, message}} with the HTTP status: shown inline with the action to take.
(function () {
  "use strict";

  var root, thread, composer, prompt, systemPrompt, modelSelect, sendButton, stopButton;
  var holdCredits, balanceNode;
  var busy = false;
  var running = null; // {controller, messageId}
  var quoteTimer = null;

  function csrf() { return root.getAttribute("data-csrf"); }
  function conversationId() { return root.getAttribute("data-conversation-id") || null; }
  function leafId() {
    var inner = document.getElementById("thread-inner");
    return inner ? inner.getAttribute("data-leaf-id") || null : null;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function credits(n) { return Number(n).toLocaleString("en-GB"); }

  // -- the streaming preview: untrusted markdown, sanitised ------------------------------
  var PREVIEW_TAGS = ["a", "p", "br", "hr", "blockquote", "pre", "code", "span", "em", "strong",
    "del", "s", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody",
    "tr", "th", "td"];
  var PREVIEW = {
    ALLOWED_TAGS: PREVIEW_TAGS,
    ALLOWED_ATTR: ["href", "title", "class", "start"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
  };

  function preview(node, text) {
    if (window.marked && window.DOMPurify && window.DOMPurify.isSupported) {
      var html = window.marked.parse(text, {async: false, gfm: true});
      node.innerHTML = window.DOMPurify.sanitize(html, PREVIEW);
      node.querySelectorAll("a").forEach(function (a) { a.rel = "noopener noreferrer nofollow"; });
    } else {
      node.textContent = text;
    }
  }

  // -- copy buttons on code blocks -------------------------------------------------------
  function copyText(source) {
    var text = source.textContent;
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = document.execCommand && document.execCommand("copy");
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function addCopyButtons(scope) {
    scope.querySelectorAll(".markdown pre").forEach(function (pre) {
      if (pre.querySelector("button.copy")) return;
      var code = pre.querySelector("code") || pre;
      var button = el("button", "copy code-copy", "Copy");
      button.type = "button";
      button.addEventListener("click", function () {
        copyText(code).then(function () {
          button.textContent = "Copied";
          button.classList.add("done");
          setTimeout(function () { button.textContent = "Copy"; button.classList.remove("done"); }, 2000);
        }, function () { button.textContent = "Select and copy"; });
      });
      pre.appendChild(button);
    });
  }

  // -- the thread ------------------------------------------------------------------------
  function removeEmpty() {
    var empty = document.getElementById("chat-empty");
    if (empty) empty.remove();
  }

  function appendUser(text) {
    removeEmpty();
    var article = el("article", "msg msg-user pending");
    article.appendChild(el("div", "msg-who", "You"));
    article.appendChild(el("div", "msg-body user-text", text));
    document.getElementById("thread-inner").appendChild(article);
    return article;
  }

  function appendReply(model) {
    var article = el("article", "msg msg-assistant streaming");
    article.appendChild(el("div", "msg-who", model));
    var body = el("div", "msg-body markdown stream-text");
    article.appendChild(body);
    var meta = el("p", "msg-meta muted", "Writing…");
    article.appendChild(meta);
    document.getElementById("thread-inner").appendChild(article);
    article.scrollIntoView({block: "end"});
    return {article: article, body: body, meta: meta, text: "", queued: false};
  }

  function refreshThread(id) {
    return fetch("/chat/" + encodeURIComponent(id) + "/thread", {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error("thread " + r.status); return r.text(); })
      .then(function (html) {
        thread.innerHTML = html;
        addCopyButtons(thread);
      });
  }

  // -- errors, in words, with the action to take ----------------------------------------
  function showError(where, status, body, retry, retryAfter) {
    var message = (body && body.error && body.error.message) || ("the request failed (HTTP " + status + ")");
    var box = el("div", "alert error chat-error");
    box.setAttribute("role", "alert");
    var p = el("p");
    if (status === 402) {
      p.textContent = "Not enough credits for this message: " + message + ". ";
      var link = el("a", "", "Top up credits");
      link.href = "/billing";
      p.appendChild(link);
    } else if (status === 429) {
      var wait = retryAfter ? " Retry in " + retryAfter + " second" + (retryAfter === "1" ? "" : "s") + "." : " Retry in a moment.";
      p.textContent = "Too many messages: " + message + "." + wait;
    } else if (status >= 500 || status === 0) {
      p.textContent = "The model failed to answer, and you were not charged. (" + message + ")";
    } else {
      p.textContent = message.charAt(0).toUpperCase() + message.slice(1) + ".";
    }
    box.appendChild(p);
    if (retry && (status >= 500 || status === 429 || status === 0)) {
      var again = el("button", "button small", "Retry");
      again.type = "button";
      again.addEventListener("click", function () { box.remove(); retry(); });
      box.appendChild(again);
    }
    where.appendChild(box);
    box.scrollIntoView({block: "end"});
    return box;
  }

  // -- sending ---------------------------------------------------------------------------
  function setBusy(on) {
    busy = on;
    sendButton.disabled = on;
    stopButton.hidden = !on;
    document.querySelectorAll(".regenerate, .edit").forEach(function (b) { b.disabled = on; });
  }

  function payload(extra) {
    var body = {
      model: modelSelect.value,
      conversation_id: conversationId(),
      system_prompt: systemPrompt ? systemPrompt.value : "",
    };
    for (var k in extra) body[k] = extra[k];
    return body;
  }

  // ``restore``: the thread on screen was cut for an edit; put it back if the send fails.
  function send(body, pendingUser, restore) {
    if (busy) return;
    setBusy(true);
    var controller = new AbortController();
    running = {controller: controller, messageId: null};
    var reply = null;
    fetch("/api/v1/chat/messages", {
      method: "POST",
      credentials: "same-origin",
      headers: {"content-type": "application/json", "x-csrf-token": csrf(), "accept": "text/event-stream"},
      body: JSON.stringify(body),
      signal: controller.signal,
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return null; }).then(function (err) {
          if (pendingUser) pendingUser.remove();
          var back = restore && conversationId() ? refreshThread(conversationId()) : Promise.resolve();
          return back.then(function () {
            showError(document.getElementById("thread-inner"), response.status, err,
                      function () {
                        if (body.content && prompt.value === body.content) prompt.value = "";
                        send(body, body.content ? appendUser(body.content) : null);
                      },
                      response.headers.get("retry-after"));
            if (body.content && !restore && !prompt.value) prompt.value = body.content;
            finishSend();
          });
        });
      }
      if (pendingUser) pendingUser.classList.remove("pending");
      return readEvents(response.body, {
        start: function (data) {
          running.messageId = data.message_id;
          root.setAttribute("data-conversation-id", data.conversation_id);
          if (window.location.pathname !== data.url) history.replaceState(null, "", data.url);
          if (data.new_conversation) addToList(data);
          reply = appendReply(data.model);
        },
        delta: function (data) {
          if (!reply) return;
          var current = reply;
          current.text += data.text;
          if (current.queued) return;  // one render per frame, however many pieces arrive
          current.queued = true;
          window.requestAnimationFrame(function () {
            current.queued = false;
            preview(current.body, current.text);
          });
        },
        done: function (data) {
          if (data.balance !== null && data.balance !== undefined) balanceNode.textContent = credits(data.balance);
          var id = data.conversation_id;
          return refreshThread(id).then(function () {
            var article = document.getElementById("m-" + data.message_id);
            if (article && data.status === "failed") {
              var charged = data.credits_charged ? "charged " + credits(data.credits_charged) + " credits for what was produced" : "not charged";
              showError(article, 502, {error: {message: (data.error || "the reply was cut off") + "; " + charged}},
                        function () { regenerate(article.getAttribute("data-parent")); });
            }
          });
        },
      }).then(finishSend);
    }).catch(function (error) {
      if (error && error.name === "AbortError") {
        // Stopped without the server's word (another process): the page reloads its thread.
        if (conversationId()) refreshThread(conversationId());
      } else if (reply) {
        reply.meta.textContent = "The connection was lost. Reload the page to see what was saved.";
      } else {
        if (pendingUser) pendingUser.remove();
        showError(document.getElementById("thread-inner"), 0, {error: {message: "the server could not be reached"}}, function () { send(body, null); });
      }
      finishSend();
    });
  }

  function finishSend() {
    running = null;
    setBusy(false);
    quote();
  }

  function readEvents(stream, handlers) {
    var reader = stream.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var chain = Promise.resolve();
    function dispatch(block) {
      var name = "message", data = "";
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) name = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
      });
      if (!data || !handlers[name]) return;
      var parsed = JSON.parse(data);
      chain = chain.then(function () { return handlers[name](parsed); });
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return chain;
        buffer += decoder.decode(chunk.value, {stream: true}).replace(/\r\n?/g, "\n");
        var end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
        return pump();
      });
    }
    return pump();
  }

  function addToList(data) {
    var list = document.getElementById("conversations");
    var none = document.getElementById("no-conversations");
    if (none) none.remove();
    var item = el("li");
    var link = el("a", "", data.title);
    link.href = data.url;
    link.setAttribute("aria-current", "page");
    item.appendChild(link);
    list.insertBefore(item, list.firstChild);
    document.getElementById("chat-title").textContent = data.title;
    document.title = data.title + " · Caicaini";
    var manage = document.getElementById("chat-manage");
    if (manage) {
      manage.querySelectorAll("form[data-action]").forEach(function (form) {
        form.action = data.url + "/" + form.getAttribute("data-action");
      });
      manage.querySelector("input[name=title]").value = data.title;
      manage.hidden = false;
    }
  }

  function submitPrompt() {
    var text = prompt.value;
    if (!text.trim()) {
      prompt.focus();
      showError(document.getElementById("thread-inner"), 400, {error: {message: "the message is empty: write something first"}});
      return;
    }
    prompt.value = "";
    var body = payload({content: text, parent_id: leafId()});
    send(body, appendUser(text));
  }

  function regenerate(userMessageId) {
    send(payload({reply_to: userMessageId}), null);
  }

  function stop() {
    if (!running) return;
    var current = running;
    stopButton.disabled = true;
    var done = function () { stopButton.disabled = false; };
    if (!current.messageId) { current.controller.abort(); done(); return; }
    fetch("/api/v1/chat/messages/" + encodeURIComponent(current.messageId) + "/stop", {
      method: "POST", credentials: "same-origin", headers: {"x-csrf-token": csrf()},
    }).then(function (r) {
      // 409: it already ended (or is written by another server process): let go of it.
      if (!r.ok && running === current) current.controller.abort();
    }).catch(function () { current.controller.abort(); }).then(done);
  }

  // -- editing a user message makes a branch -----------------------------------------------
  function startEdit(article) {
    if (busy || article.querySelector(".edit-form")) return;
    var body = article.querySelector(".user-text");
    var form = el("form", "edit-form");
    var area = el("textarea");
    area.value = body.textContent;
    area.rows = 3;
    area.setAttribute("aria-label", "Edited message");
    var save = el("button", "button small", "Send edited");
    save.type = "submit";
    var cancel = el("button", "button small secondary", "Cancel");
    cancel.type = "button";
    form.appendChild(area);
    var bar = el("div", "edit-bar");
    bar.appendChild(save);
    bar.appendChild(cancel);
    form.appendChild(bar);
    article.appendChild(form);
    area.focus();
    cancel.addEventListener("click", function () { form.remove(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!area.value.trim()) { area.focus(); return; }
      var parent = article.getAttribute("data-parent") || null;
      var text = area.value;
      // The new branch replaces what follows this message on screen.
      while (article.nextSibling) article.nextSibling.remove();
      article.remove();
      send(payload({content: text, parent_id: parent}), appendUser(text), true);
    });
  }

  // -- the hold: "up to N credits" --------------------------------------------------------
  function quote() {
    if (!holdCredits) return;
    clearTimeout(quoteTimer);
    quoteTimer = setTimeout(function () {
      fetch("/api/v1/chat/quote", {
        method: "POST",
        credentials: "same-origin",
        headers: {"content-type": "application/json", "x-csrf-token": csrf()},
        body: JSON.stringify(payload({content: prompt.value, parent_id: leafId()})),
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (q) {
        if (!q) return;
        holdCredits.textContent = credits(q.max_credits);
        document.getElementById("hold").classList.toggle("short", !q.affordable);
      }).catch(function () {});
    }, 250);
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("chat");
    composer = document.getElementById("composer");
    if (!root || !composer) return;
    thread = document.getElementById("thread");
    prompt = document.getElementById("prompt");
    systemPrompt = document.getElementById("system-prompt");
    modelSelect = document.getElementById("model");
    sendButton = document.getElementById("send");
    stopButton = document.getElementById("stop");
    holdCredits = document.getElementById("hold-credits");
    balanceNode = document.getElementById("balance");
    addCopyButtons(thread);

    composer.addEventListener("submit", function (event) { event.preventDefault(); submitPrompt(); });
    prompt.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (!busy) submitPrompt();
      }
    });
    prompt.addEventListener("input", quote);
    modelSelect.addEventListener("change", quote);
    if (systemPrompt) systemPrompt.addEventListener("input", quote);
    stopButton.addEventListener("click", stop);
    thread.addEventListener("click", function (event) {
      var target = event.target;
      if (!(target instanceof HTMLElement) || busy) return;
      if (target.classList.contains("regenerate")) regenerate(target.getAttribute("data-reply-to"));
      else if (target.classList.contains("edit")) startEdit(target.closest("article"));
    });
    if (conversationId()) window.scrollTo(0, document.body.scrollHeight);
  });
})();
