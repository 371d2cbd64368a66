"""Rendering: views, globe, CPU and GPU backends, video and the film (installed as ``planet.render``)."""
