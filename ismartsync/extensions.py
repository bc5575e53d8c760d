"""Flask extensions, created unbound here and initialised in `create_app`."""

from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx

from ismartsync.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
# Pages and fragments leave Brotli- or gzip-compressed (static files are compressed ahead, see static_files.py).
compress = Compress()
# No route-level limits: sign-in, PIN and code attempts are counted by `ismartsync.throttle` in its own storage.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
