"""Take the README's screenshots of the web chat: python docs/screenshot.py (needs chromium).

Desktop, phone, dark mode and an abstention, each after asking one question.
"""

import shutil
import socket

from playwright.sync_api import sync_playwright

from rag import Chatbot
from rag.web import launch

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SHOTS = (  # file, viewport, query string, question
    ("screenshot.png", (1280, 860), "", "Which chip maker supplies most of ZTE's computer chips?"),
    ("screenshot-phone.png", (390, 844), "", "Which chip maker supplies most of ZTE's computer chips?"),
    ("screenshot-dark.png", (1280, 860), "?__theme=dark", "Who is Betsy Cooper?"),
    ("screenshot-abstention.png", (1280, 860), "", "How many employees does ZTE have?"),
)

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
app = launch(Chatbot.load(), port=port, block=False)
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
    for name, size, query, question in SHOTS:
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.goto(f"http://127.0.0.1:{port}/{query}")
        page.fill("#question textarea", question)
        page.press("#question textarea", "Enter")
        page.wait_for_selector("#chat .message >> nth=1")
        page.wait_for_timeout(1000)
        page.screenshot(path=f"docs/{name}")
        page.close()
    browser.close()
app.close()
