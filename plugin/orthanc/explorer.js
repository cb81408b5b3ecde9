/* explorer.js - the pdva panel of Orthanc Explorer (served by Orthanc as part of
 * /plugins/explorer.js). On a series page: "Analyze p-DVA" asks for the wound venosome, starts
 * the analysis (POST /pdva/series/{id}/analyze), follows its Orthanc job, then shows the summary
 * and a link to the report. Text from the server (DICOM strings, messages) only ever reaches the
 * page through .text() or .val(): no HTML is built from data.
 * SPDX-License-Identifier: GPL-3.0-or-later */
(function () {
  'use strict';

  var VENOSOMES = [
    ['dorsalis_pedis', 'Dorsalis pedis (dorsum of the foot)'],
    ['medial_plantar', 'Medial plantar (instep, medial sole)'],
    ['lateral_plantar', 'Lateral plantar (lateral sole)'],
    ['medial_calcaneal', 'Medial calcaneal (medial and plantar heel)'],
    ['lateral_calcaneal', 'Lateral calcaneal (lateral heel)'],
    ['anterior_perforating', 'Anterior perforating (anterolateral ankle)']
  ];
  var POLL_MS = 1000;
  var pollTimer = null;
  var currentSeries = null;
  var currentJob = null;

  function seriesId() {
    if ($.mobile.pageData && $.mobile.pageData.uuid) {
      return String($.mobile.pageData.uuid);
    }
    var m = /[?&]uuid=([^&]+)/.exec(window.location.hash || '');
    return m ? decodeURIComponent(m[1]) : null;
  }

  function api(path) {
    return '../pdva/series/' + encodeURIComponent(currentSeries) + path;
  }

  function errorText(xhr) {
    try {
      var doc = JSON.parse(xhr.responseText);
      if (doc && typeof doc.error === 'string') {
        return doc.error;
      }
    } catch (e) { /* not JSON */ }
    return 'HTTP ' + xhr.status;
  }

  function setStatus(text, kind) {
    $('#pdva-status').text(text).attr('data-state', kind || '');
  }

  function stopPolling() {
    if (pollTimer !== null) {
      window.clearTimeout(pollTimer);
      pollTimer = null;
    }
  }

  function resetPanel() {
    stopPolling();
    currentJob = null;
    $('#pdva-form').hide();
    $('#pdva-cancel').hide();
    $('#pdva-result').hide();
    $('#pdva-summary').text('');
    setStatus('', '');
  }

  function showResult(series) {
    $.ajax({
      url: api('/summary'),
      dataType: 'text',
      cache: false,
      success: function (text, status, xhr) {
        if (series !== currentSeries) {
          return;
        }
        if (xhr.status === 202) {
          var doc = JSON.parse(text);
          follow(doc.job);
          return;
        }
        $('#pdva-summary').text(text);
        $('#pdva-report-link').attr('href', api('/report'));
        $('#pdva-result').show();
        setStatus('Analysis complete.', 'done');
      },
      error: function (xhr) {
        if (series !== currentSeries) {
          return;
        }
        setStatus(xhr.status === 404 ? 'Not analyzed yet.' : errorText(xhr),
                  xhr.status === 404 ? 'none' : 'error');
      }
    });
  }

  function follow(jobId) {
    stopPolling();
    currentJob = jobId;
    var series = currentSeries;
    $('#pdva-cancel').show();
    $.ajax({
      url: '../jobs/' + encodeURIComponent(jobId),
      dataType: 'json',
      cache: false,
      success: function (job) {
        if (series !== currentSeries || jobId !== currentJob) {
          return;
        }
        var content = job.Content || {};
        if (job.State === 'Success') {
          currentJob = null;
          $('#pdva-cancel').hide();
          showResult(series);
        } else if (job.State === 'Failure') {
          currentJob = null;
          $('#pdva-cancel').hide();
          if (job.ErrorCode === 37 || /cancel/i.test(String(job.ErrorDescription || ''))) {
            setStatus('Analysis cancelled.', 'none');
          } else {
            setStatus('Analysis failed: ' + (content.Error || job.ErrorDescription || 'see the job ' + jobId),
                      'error');
          }
        } else {
          var text = 'Analysis ' + String(job.State).toLowerCase() + ': ' + job.Progress + '%';
          if (content.State) {
            text += ' (' + content.State + (content.Stage ? ', ' + content.Stage : '') + ')';
          }
          setStatus(text, 'running');
          pollTimer = window.setTimeout(function () { follow(jobId); }, POLL_MS);
        }
      },
      error: function (xhr) {
        if (series === currentSeries) {
          setStatus('Cannot follow the job: ' + errorText(xhr), 'error');
        }
      }
    });
  }

  function start() {
    var venosome = $('#pdva-venosome').val();
    $('#pdva-form').hide();
    $('#pdva-result').hide();
    setStatus('Starting the analysis...', 'running');
    $.ajax({
      url: api('/analyze'),
      type: 'POST',
      contentType: 'application/json',
      data: JSON.stringify({ wound_venosomes: venosome ? [String(venosome)] : [] }),
      dataType: 'json',
      cache: false,
      success: function (doc) { follow(doc.job); },
      error: function (xhr) { setStatus('The analysis could not start: ' + errorText(xhr), 'error'); }
    });
  }

  function buildPanel() {
    var list = $('<ul data-role="listview" data-inset="true" data-theme="d" data-divider-theme="c" id="pdva-panel"></ul>');
    list.append($('<li data-role="list-divider"></li>').text('p-DVA angiography'));
    list.append($('<li data-icon="gear"></li>').append(
      $('<a href="#" id="pdva-analyze"></a>').text('Analyze p-DVA')));
    var select = $('<select id="pdva-venosome" name="pdva-venosome" data-native-menu="true"></select>');
    for (var i = 0; i < VENOSOMES.length; i++) {
      select.append($('<option></option>').val(VENOSOMES[i][0]).text(VENOSOMES[i][1]));
    }
    var form = $('<div id="pdva-form" style="display:none; padding: 0 10px 10px 10px"></div>')
      .append($('<label for="pdva-venosome"></label>').text('Wound venosome'))
      .append(select)
      .append($('<a href="#" id="pdva-start" data-role="button" data-theme="b"></a>').text('Start analysis'));
    var status = $('<p id="pdva-status" role="status" aria-live="polite" style="padding: 0 10px; white-space: pre-wrap"></p>');
    var cancel = $('<a href="#" id="pdva-cancel" data-role="button" data-mini="true" style="display:none"></a>')
      .text('Cancel the analysis');
    var result = $('<div id="pdva-result" style="display:none; padding: 0 10px"></div>')
      .append($('<pre id="pdva-summary" style="white-space: pre-wrap; font-size: 0.85em"></pre>'))
      .append($('<a id="pdva-report-link" target="_blank" rel="noopener"></a>').text('Open the report (JSON)'));
    return $('<div id="pdva-block"></div>').append(list, form, status, cancel, result);
  }

  $('#series').live('pagebeforecreate', function () {
    if ($('#pdva-block').length === 0) {
      $('#series-delete').closest('ul').after(buildPanel());
    }
  });

  $('#series').live('pagebeforeshow', function () {
    resetPanel();
    currentSeries = seriesId();
    if (currentSeries) {
      showResult(currentSeries);
    }
  });

  $('#series').live('pagehide', function () {
    stopPolling();
  });

  $('#pdva-analyze').live('click', function (e) {
    e.preventDefault();
    $('#pdva-form').toggle();
  });

  $('#pdva-start').live('click', function (e) {
    e.preventDefault();
    start();
  });

  $('#pdva-cancel').live('click', function (e) {
    e.preventDefault();
    if (currentJob) {
      $.ajax({ url: '../jobs/' + encodeURIComponent(currentJob) + '/cancel', type: 'POST', data: '' });
    }
  });
}());
