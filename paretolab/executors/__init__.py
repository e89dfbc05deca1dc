"""Where runs train: started here as processes (``launcher``, ``local``: the queue under a
concurrency limit) or submitted to Slurm (``slurm``, ``slurm_script``, ``slurm_executor``,
``slurm_cli``). ``training_process`` is what every training process is given: its folder
and its environment."""
