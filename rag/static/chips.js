() => {
  document.addEventListener('click', (event) => {
    const chip = event.target.closest('a.cite');
    if (!chip) return;
    event.preventDefault();
    const mark = document.getElementById(chip.getAttribute('href').slice(1));
    const panel = document.getElementById('article-panel');
    if (!mark || !panel) return;
    panel.scrollTop += mark.getBoundingClientRect().top - panel.getBoundingClientRect().top
                       - panel.clientHeight / 3;
    mark.classList.add('flash');
    setTimeout(() => mark.classList.remove('flash'), 1200);
  });
}
