"""A FastAPI app and a Flask app with a few routes (route smoke tests)."""

from __future__ import annotations

from fastapi import FastAPI
from flask import Flask

app = FastAPI()
web = Flask(__name__)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items")
def items() -> list[str]:
    return ["apple", "pear"]


@app.get("/items/{item_id}")
def item(item_id: int) -> dict[str, int]:
    return {"id": item_id}


@app.post("/items")
def add(name: str) -> dict[str, str]:
    return {"added": name}


@web.route("/")
def index() -> str:
    return "shop"


@web.route("/about")
def about() -> str:
    return "about"
