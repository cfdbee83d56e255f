"""The head's settings page: what the school's radio says about itself, and where it is listed."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request
from flask.typing import ResponseReturnValue

from webradio import schools
from webradio.audio.presets import PRESETS
from webradio.errors import N_, WebradioError
from webradio.models import School
from webradio.web import back_to, current_school, role_required, translate

bp = Blueprint("settings", __name__)

SAVED = N_("Réglages enregistrés. Le flux public de la radio est déjà à jour.")
# The names of webradio.audio.presets, as the head reads them.
PRESET_LABELS = {
    "podcast": N_("Podcast (stéréo)"),
    "voice": N_("Voix (mono, fichier plus léger)"),
}


@bp.route("/ecole/reglages", methods=["GET", "POST"])
@role_required("head")
def school_settings() -> ResponseReturnValue:
    """Show the school's settings; save them through one verb, or show why they were refused
    with what the head typed kept in the form."""
    school = current_school()
    if request.method == "GET":
        return _page(school, _current(school))
    form = request.form
    typed: dict[str, object] = {
        "description": form.get("description", ""),
        "contact_email": form.get("contact_email", ""),
        "directories_opt_in": form.get("directories_opt_in") == "1",
        "preset": form.get("preset", ""),
        "noise_reduction": form.get("noise_reduction") == "1",
    }
    try:
        schools.update_settings(
            school,
            description=form.get("description", ""),
            contact_email=form.get("contact_email", ""),
            directories_opt_in=form.get("directories_opt_in") == "1",
            preset=form.get("preset", ""),
            noise_reduction=form.get("noise_reduction") == "1",
        )
    except WebradioError as error:
        message = translate(error.message, **error.params)
        return _page(school, typed, error=message, invalid=_field_of(error)), 400
    flash(translate(SAVED), "info")
    return back_to("settings.school_settings")


def _current(school: School) -> dict[str, object]:
    """The form's values as saved."""
    return {
        "description": school.description or "",
        "contact_email": school.contact_email or "",
        "directories_opt_in": bool(school.directories_opt_in),
        "preset": school.preset,
        "noise_reduction": bool(school.noise_reduction),
    }


def _field_of(error: WebradioError) -> str:
    """The form field a refusal of update_settings is about (marked invalid on the page)."""
    if "email" in error.params:
        return "contact_email"
    return "description" if {"max", "field"} & set(error.params) else "preset"


def _page(
    school: School, values: dict[str, object], error: str | None = None, invalid: str = ""
) -> str:
    """The settings page with these values in the form (`invalid`: the refused field)."""
    presets = [(name, PRESET_LABELS.get(name, name)) for name in PRESETS]
    return render_template(
        "school_settings.html",
        school=school,
        values=values,
        presets=presets,
        error=error,
        invalid=invalid,
    )
