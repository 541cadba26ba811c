"""The web pages: server-rendered HTML over the same engine as the API.

* :mod:`babyskin.web.pages`         the routes (home, ask, guided check, answers, conditions, compare)
* :mod:`babyskin.web.templating`    the Jinja2 environment and :func:`~babyskin.web.templating.render`
* :mod:`babyskin.web.security`      security headers (strict Content-Security-Policy) for every response
* :mod:`babyskin.web.check_flow`    the stateless guided check: screens, the answer trail, going back
* :mod:`babyskin.web.view`          an Assessment -> what the answer page shows (citation numbers, bars)
* :mod:`babyskin.web.forms`         form fields -> validated values (audience, ages, lists)
* :mod:`babyskin.web.understanding` the one place that calls the free-text reader for ``/ask``

Routes: ``GET /`` (home) · ``POST /ask`` (answer or general question) · ``GET|POST /check`` (guided
check, one screen per request) · ``POST /audience`` (parent / clinician for the visit, a session
cookie) · ``GET /conditions`` and ``/conditions/{id}`` · ``GET /compare?ids=a,b``.

Other pages extend ``templates/base.html``: ``{% extends "base.html" %}`` with blocks ``title``,
``alert`` (above the header: urgent banners), ``main`` and ``head_extra``; render them with
``render(request, "your_page.html", {...})``. Templates are autoescaped; static files are served
from ``/static`` and no page may load anything from another origin.
"""
