"""Commentary: a price series (or a stock code) in, text in a voice out, with the facts it states and every claim
checked against the series."""

from fastapi import Depends
from starlette.concurrency import run_in_threadpool

from bbt.errors import BBTError, DataError
from bbt.serve.limits import InputLimitError
from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import CommentaryRequest, CommentaryResponse
from bbt.serve.state import Service, service

router = v1_router("commentary")


def _answer(body: CommentaryRequest, data_dir) -> dict:
    from bbt.apps.commentary.service import write_commentary
    from bbt.data.rows import series_frame
    from bbt.data.stocks import is_st, load_stock, stock_name

    code = body.code
    if body.series is not None:
        try:
            frame = series_frame([b.model_dump() for b in body.series])
        except DataError as e:
            raise InputLimitError(f"series[{e.row}].{e.column}" if e.row is not None else "series", str(e)) from None
    else:
        if not code:
            raise InputLimitError("series", "give `series` (daily bars) or `code`", type_="missing_input")
        if data_dir is None:
            raise InputLimitError("code", "this service has no data directory; send `series`", type_="no_data")
        try:
            frame = load_stock(data_dir, code)
        except BBTError as e:
            raise InputLimitError("code", str(e), status=404, type_="unknown_code") from None
    end = body.end or str(frame["date"].iloc[-1].date())
    try:
        answer, _, _ = write_commentary(frame, end, body.style, code=code, name=stock_name(data_dir, code),
                                        st=is_st(data_dir, code))
    except DataError as e:
        field = "end" if e.column == "date" else (e.column or "series")
        raise InputLimitError(field, str(e)) from None
    except BBTError as e:
        raise InputLimitError("code", str(e)) from None
    return answer


@router.post("/commentary", response_model=CommentaryResponse, summary="Market commentary")
async def commentary(body: CommentaryRequest, svc: Service = Depends(service)) -> CommentaryResponse:
    """Facts of the window ending at `end` -> text in the chosen voice; each claim carries its character offsets,
    the fact it states and the checker's verdict."""
    if body.series is not None:
        svc.limits.bars(body.series, "series")
    data_dir = getattr(svc.bundle, "manifest", {}).get("data_dir")
    return CommentaryResponse(**await run_in_threadpool(_answer, body, data_dir))
