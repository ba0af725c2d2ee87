"""The oracle: ``alpaca_eval``'s own ``get_length_controlled_winrate`` on files in its formats.

Run as a script by the interpreter that has ``alpaca_eval`` (test_lcwinrate.py); prints one JSON
object ``{glm: {tol: {model: lc win rate}}}``. AlpacaEval downloads ``df_gamed.csv`` and
``instruction_difficulty.csv`` from its Hugging Face dataset; here its download function is
pointed at the generated files of the same names, so nothing leaves the machine.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pandas as pd
from alpaca_eval.metrics import glm_winrate

GLMS = ("length_controlled_v1", "length_controlled_minimal")


def main(folder: Path) -> None:
    warnings.filterwarnings("ignore")
    glm_winrate.hf_hub_download = lambda repo_id, filename, **kwargs: str(folder / filename)
    annotations = pd.DataFrame(json.loads((folder / "annotations.json").read_text()))
    out: dict[str, dict[str, dict[str, float]]] = {}
    for glm in GLMS:
        out[glm] = {"default": {}, "converged": {}}
        for model, rows in annotations.groupby("generator_2", sort=False):
            frame = rows.reset_index(drop=True)
            default = glm_winrate.get_length_controlled_winrate(
                frame.copy(), glm_name=glm, save_weights_dir=None
            )
            # liblinear stops at tol 1e-4 by default; run to convergence for the exact optimum
            info = dict(glm_winrate.GLM_INFO[glm])
            info["kwargs"] = {"n_splits": 5, "tol": 1e-12, "max_iter": 100_000}
            converged = glm_winrate.get_length_controlled_winrate(
                frame.copy(), glm_name=glm, save_weights_dir=None, glm_info=info
            )
            out[glm]["default"][str(model)] = float(default["length_controlled_winrate"])
            out[glm]["converged"][str(model)] = float(converged["length_controlled_winrate"])
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
