"""`python -m ui [--host H] [--port P]`: start the web chat (same as `rag serve`)."""

from ui.server import main

raise SystemExit(main())
