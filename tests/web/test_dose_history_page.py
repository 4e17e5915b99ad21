"""The patient page shows the dose history (issue 13, item 11): cumulative dose per drug,
epirubicin against its lifetime limit in mg/m², and the relative dose intensity; the saved
cycle's dose sheet states the BSA recomputed from a pre-cycle weight (item 5).

Hand calculation (the regimen file: Mosteller BSA rounded to 0.01 m², oxaliplatin 75 mg/m² for
Child-Pugh A, epirubicin a fixed 40 mg, lifetime limit 900 mg/m², planned cycle every 4 weeks):

- baseline 170 cm, 65 kg: BSA = sqrt(170 x 65 / 3600) = 1.75198 -> 1.75 m²;
- pre-cycle examination before cycle 2: 55 kg, -15.4 % (more than 10 %): BSA recomputed,
  sqrt(170 x 55 / 3600) = 1.61159 -> 1.61 m²;
- epirubicin 40 mg at each cycle: 80 mg; 40 / 1.75 + 40 / 1.61 = 22.857 + 24.845 = 47.702 mg/m²,
  47.702 / 900 = 5.3 % of the lifetime limit; given = full dose: RDI 100 %;
- oxaliplatin 131 mg then 105 mg: 236 mg; 131 / 1.75 + 105 / 1.61 = 74.857 + 65.217 =
  140.07 mg/m²; weeks elapsed (2026-02-09 - 2026-01-12) / 7 + 4 = 8; delivered 140.075 / 8 =
  17.509 mg/m²/week, planned 2 x 75 / (2 x 4) = 18.75: RDI 0.9338 = 93.4 %.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from tests.web.test_every_door import _setup


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_patient_page_shows_cumulative_doses_the_epirubicin_limit_and_the_rdi(
    app: Any, login: Callable[[str], Any], web_db: str
) -> None:
    from hcctrial.services import cycles, exams
    from hcctrial.services.permissions import Actor
    from hcctrial.services.unit_of_work import UnitOfWork
    from hcctrial.store.session import make_engine, open_session
    from tests.web.conftest import TODAY

    ids = _setup(web_db)  # GZ-1: cycle 1 on 2026-01-12 with oxaliplatin 131 mg
    gz = ids["gz"]
    engine = make_engine(web_db)
    with open_session(engine) as s:
        uow = UnitOfWork(s, Actor.system("nurse"), today=TODAY)
        cycles.record_dose_line(
            uow,
            ids["gz_cycle"],
            {"drug": "epirubicin", "planned_mg": 40, "given_mg": 40},
            reason="entered",
        )
        exams.record_exam(
            uow, gz, {"exam_date": "2026-02-06", "ecog": 0, "weight_kg": 55}, reason="entered"
        )
        cycle2 = cycles.start_cycle(
            uow,
            gz,
            cycle_date="2026-02-09",
            doses=[
                {"drug": "epirubicin", "planned_mg": 40, "given_mg": 40},
                {"drug": "oxaliplatin", "planned_mg": 121, "given_mg": 105},
            ],
            reason="entered",
        )
    engine.dispose()
    client = login("inv_gz")
    page = client.get(f"/patients/{gz}")
    assert page.status_code == 200
    section = page.text.split('id="dose-history"', 1)[1].split("</section>", 1)[0]
    epi = _text(section.split('id="dose-summary-epirubicin"', 1)[1].split("</tr>", 1)[0])
    oxa = _text(section.split('id="dose-summary-oxaliplatin"', 1)[1].split("</tr>", 1)[0])
    # columns: drug, cycles, cumulative mg, cumulative mg/m², lifetime limit, RDI
    assert epi.strip() == "> epirubicin 2 80 mg 47.702 mg/m² 900 mg/m² (5.3 % reached) 100.0 %"
    assert oxa.strip() == "> oxaliplatin 2 236 mg 140.07 mg/m² — 93.4 %"
    # the saved cycle 2's dose sheet says how its BSA was obtained
    sheet = _text(client.get(f"/records/cycles/{cycle2}").text)
    assert "BSA recomputed to 1.61 m² (mosteller) from weight 55 kg on 2026-02-06" in sheet
    assert "-15.4 % from 65 kg, more than 10 %" in sheet
