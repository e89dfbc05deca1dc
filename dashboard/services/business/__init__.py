"""What the "What quality costs" page asks for (and the run page's Cost tab).

- ``frontier``: the cost-vs-quality frontier, classical baselines, assumptions;
- ``costs``: what runs cost (figures, assumptions, what-if projections);
- ``projections``: scaling fits and projections, Chinchilla context, serving cost;
- ``report``: the stakeholder report as HTML and PDF.
"""
