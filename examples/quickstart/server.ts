import * as z from 'zod';
import { McpServer } from 'erlmcp/server';
import { StdioServerTransport } from 'erlmcp/transports/stdio';

const server = new McpServer({ name: 'weather', version: '1.0.0' });

server.tool(
  'forecast',
  {
    description: 'Forecast for a city',
    inputSchema: z.object({ city: z.string(), days: z.number().int().min(1).max(7).default(1) }),
    outputSchema: z.object({ city: z.string(), highs: z.array(z.number()) }),
  },
  async ({ city, days }, ctx) => {
    await ctx.log('info', `forecasting ${city}`);
    const highs = Array.from({ length: days }, (_, i) => 20 + i);
    return { content: [{ type: 'text', text: `${city}: ${highs.join(', ')} °C` }], structuredContent: { city, highs } };
  },
);

await server.connect(new StdioServerTransport());
