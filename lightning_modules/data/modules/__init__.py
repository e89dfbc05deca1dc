"""The data modules, one per task and named as ``lightning_modules/tasks`` names them."""
