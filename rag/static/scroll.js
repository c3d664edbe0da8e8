() => {
  const messages = document.querySelectorAll('#chat .message');
  const last = messages[messages.length - 1];
  const box = last && last.closest('.bubble-wrap, [role=log], .chatbot, .wrapper');
  if (last && box) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
  const mark = document.getElementById('q1');
  const panel = document.getElementById('article-panel');
  if (mark && panel) panel.scrollTop += mark.getBoundingClientRect().top
                                        - panel.getBoundingClientRect().top - panel.clientHeight / 3;
}
