"""EDI loop: the asyncio service that receives COPARN/CODECO messages; between messages its loop has nothing
to run."""
import asyncio

from .probe import here, report_ready


async def _receive(reader, writer):
    await reader.readline()
    writer.close()


async def edi_service():
    server = await asyncio.start_server(_receive, "127.0.0.1", 0)
    report_ready(here("blocked"))
    async with server:
        await server.serve_forever()


def run_edi_loop(settings):
    asyncio.run(edi_service())
