"""WSGI entry point: only creates the app (`flask --app app run`, `gunicorn app:app`)."""

from ismartsync import create_app

app = create_app()
