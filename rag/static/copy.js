() => {
  // A reply's Copy button copies the answer as plain text (its value, made from the
  // Answer), not the Markdown Gradio renders the reply from.
  const fallback = (text) => {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    try { return document.execCommand('copy'); } catch (e) { return false; } finally { area.remove(); }
  };
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button.copy-plain');
    if (!button) return;
    event.preventDefault();
    let copied = false;
    if (navigator.clipboard && window.isSecureContext) {
      try { await navigator.clipboard.writeText(button.value); copied = true; } catch (e) { copied = false; }
    }
    if (!copied) copied = fallback(button.value);
    const label = button.querySelector('.copy-label');
    if (!label) return;
    label.textContent = copied ? 'Copied' : 'Copy failed';
    setTimeout(() => { label.textContent = 'Copy'; }, 1500);
  });
}
