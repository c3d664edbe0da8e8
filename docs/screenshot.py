"""Take the README's screenshot of the web chat: python docs/screenshot.py (needs chromium)."""

import shutil
import socket

from playwright.sync_api import sync_playwright

from rag import Chatbot
from rag.web import launch

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
app = launch(Chatbot.load(), port=port, block=False)
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
    for name, size in (("screenshot.png", (1280, 860)), ("screenshot-phone.png", (390, 844))):
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.goto(f"http://127.0.0.1:{port}/")
        page.fill("#question textarea", "Which chip maker supplies most of ZTE's computer chips?")
        page.press("#question textarea", "Enter")
        page.wait_for_selector("#chat .message >> nth=1")
        page.wait_for_timeout(800)
        page.evaluate("document.querySelector('#chat .message').scrollIntoView()")
        page.evaluate("document.querySelector('#best-quote')?.scrollIntoView({block: 'center'})")
        page.screenshot(path=f"docs/{name}")
    browser.close()
app.close()
