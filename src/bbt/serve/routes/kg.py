"""Capability 1: the knowledge graph: company profiles by code or name, and search over all node names."""

from fastapi import Depends

from bbt.serve.routes.common import v1_router
from bbt.serve.schemas import CompaniesRequest, CompaniesResponse, SearchRequest, SearchResponse
from bbt.serve.state import Service, service

router = v1_router("knowledge graph")


@router.post("/kg/companies", response_model=CompaniesResponse, summary="Company profiles")
async def companies(body: CompaniesRequest, svc: Service = Depends(service)) -> CompaniesResponse:
    """Industry, concepts, executives, top-10 holders, area and listing date of each company asked for."""
    svc.limits.texts(body.queries, "queries")
    return CompaniesResponse(results=await svc.run("kg_companies", [q.strip() for q in body.queries]))


@router.post("/kg/search", response_model=SearchResponse, summary="Search the graph")
async def search(body: SearchRequest, svc: Service = Depends(service)) -> SearchResponse:
    svc.limits.texts(body.queries, "queries")
    items = [(q.strip(), body.limit, body.types) for q in body.queries]
    return SearchResponse(results=await svc.run("kg_search", items))
