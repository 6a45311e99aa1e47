"""The organisers' web dashboard: server-rendered pages (Jinja2) in the bot's web app, under
``/dasbor``, in Bahasa Indonesia or English, calling the same domain layer as the chat.

Modules: ``config`` (settings read once), ``access`` (the chat's role rule for a person
and an event), ``core`` (cookie, session, CSRF, refusals, rendering), ``app`` (joins
the pages to the web app: routers, error pages, security headers, static files),
``signin``, ``events``, ``participants`` (the pages), ``templates/`` and ``static/``.

How to add a page
-----------------
1. A module ``bot/dashboard/<topic>.py`` with ``router = APIRouter()``; add its router
   to ``PAGES`` in ``bot/dashboard/app.py``.
2. A page about one event takes ``page: OfEvent`` (from ``bot.dashboard.core``): it runs
   only for someone signed in who organises ``{event_id}`` (or an admin), exactly as the
   chat decides; ``page.session`` is the request's database session, ``page.event``,
   ``page.t`` the translator. A page that is not about one event takes
   ``viewer: SignedIn``. Paths start with ``PREFIX + "/acara/{event_id}/..."``; ids in
   paths, never names or phone numbers (put a search in a posted form).
3. Read with the functions of ``models/`` (never a new query for a rule the chat has);
   return ``page.render("<topic>.html", **values)``. Templates extend ``base.html`` and
   fill ``{% block content %}``; texts come from ``t("dashboard.<topic>.<key>")`` in
   ``handlers/locales/{id,en}/LC_MESSAGES/dashboard.po`` (or a .po of the topic's own).
4. Every POST form carries ``<input type="hidden" name="{{ csrf_field }}"
   value="{{ viewer.csrf }}">`` and its route takes ``form: CheckedForm`` (the posted
   fields, CSRF already checked) besides ``page: OfEvent``; a change commits with
   ``await page.session.commit()`` and answers with a 303 redirect to a GET page.
5. Refuse with ``raise PageError(status, "<key>")`` and the texts
   ``dashboard.error.<key>.title`` / ``.text``: nothing the request did is committed.
6. Slow work (writing a file) goes off the loop: ``models.writer.write_off_loop``.
7. ``tests/test_dashboard_routes.py`` walks every route of the app: a new one is tried
   as anonymous, a participant and another event's organiser without further edits.
"""
