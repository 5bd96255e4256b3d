// SPDX-License-Identifier: GPL-3.0-or-later
#include "reconciliation/reconciledialog.h"

#include "widgets/palettecolors.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace Sluice {

ReconcileDialog::ReconcileDialog(const QString &sync, QWidget *parent)
    : QDialog(parent)
    , m_all(new QRadioButton(tr("Every synced record")))
    , m_sampled(new QRadioButton(tr("A random sample of")))
    , m_size(new QSpinBox)
    , m_label(new QLabel)
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel))
{
    setObjectName(QStringLiteral("reconcileDialog"));
    setWindowTitle(tr("Reconcile %1").arg(sync));
    m_all->setObjectName(QStringLiteral("reconcileAll"));
    m_sampled->setObjectName(QStringLiteral("reconcileSample"));
    m_size->setObjectName(QStringLiteral("reconcileSampleSize"));
    m_size->setRange(1, 10'000'000);
    m_size->setValue(1000);
    m_size->setSuffix(tr(" records"));
    m_size->setEnabled(false);
    m_all->setChecked(true);
    m_label->setObjectName(QStringLiteral("reconcileForecast"));
    m_label->setWordWrap(true);
    m_label->setTextFormat(Qt::PlainText);
    m_label->setMinimumWidth(fontMetrics().horizontalAdvance(u'M') * 30);
    m_reconcile = m_buttons->addButton(tr("Reconcile"), QDialogButtonBox::AcceptRole);
    m_reconcile->setObjectName(QStringLiteral("reconcileConfirm"));
    m_reconcile->setEnabled(false);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_all, &QRadioButton::toggled, this, &ReconcileDialog::choiceChanged);
    connect(m_size, &QSpinBox::valueChanged, this, &ReconcileDialog::choiceChanged);

    auto *intro = new QLabel(tr("Reads the records back from the destination and compares every mapped field with "
                                "the warehouse and with what Sluice last wrote. Nothing is written."));
    intro->setWordWrap(true);
    auto *sampleRow = new QHBoxLayout;
    sampleRow->addWidget(m_sampled);
    sampleRow->addWidget(m_size);
    sampleRow->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addSpacing(6);
    layout->addWidget(m_all);
    layout->addLayout(sampleRow);
    layout->addSpacing(6);
    layout->addWidget(m_label);
    layout->addWidget(m_buttons);
    m_label->setText(tr("Forecasting the API calls…"));
}

qint64 ReconcileDialog::sample() const
{
    return m_all->isChecked() ? 0 : m_size->value();
}

void ReconcileDialog::setSample(qint64 sample)
{
    if (sample > 0) {
        m_size->setValue(int(qMin<qint64>(sample, m_size->maximum())));
        m_sampled->setChecked(true);
    } else {
        m_all->setChecked(true);
    }
}

void ReconcileDialog::choiceChanged()
{
    m_size->setEnabled(m_sampled->isChecked());
    m_hasForecast = false;
    m_reconcile->setEnabled(false);
    m_label->setText(tr("Forecasting the API calls…"));
    Q_EMIT forecastRequested(sample());
}

void ReconcileDialog::setForecast(const ReconcileForecast &forecast)
{
    if (forecast.sample != sample())
        return; // the choice changed since it was asked for
    m_forecast = forecast;
    m_hasForecast = true;
    const QLocale locale;
    QPalette pal = m_label->palette();
    pal.setColor(QPalette::WindowText, palette().color(QPalette::WindowText));
    if (!forecast.error.isEmpty()) {
        m_label->setText(tr("Cannot reconcile: %1").arg(forecast.error));
        pal.setColor(QPalette::WindowText, negativeColor(palette()));
        m_label->setPalette(pal);
        m_reconcile->setEnabled(false);
        return;
    }
    QString text = (forecast.records == 1 ? tr("1 record") : tr("%1 records").arg(locale.toString(forecast.records)))
        + tr(" to read back in about ")
        + (forecast.calls == 1 ? tr("1 API call") : tr("%1 API calls").arg(locale.toString(forecast.calls)));
    const bool over = forecast.budgetAvailable >= 0 && forecast.calls > forecast.budgetAvailable;
    if (forecast.budgetAvailable < 0)
        text += tr("; the destination reports no daily budget.");
    else
        text += tr("; %1 remain in today's budget after the reserve.")
                    .arg(forecast.budgetAvailable == 1 ? tr("1 call") : tr("%1 calls").arg(locale.toString(forecast.budgetAvailable)));
    if (over) {
        text += QLatin1Char(' ') + tr("That is over budget: choose a smaller sample.");
        pal.setColor(QPalette::WindowText, negativeColor(palette()));
    }
    m_label->setPalette(pal);
    m_label->setText(text);
    m_reconcile->setEnabled(!over && forecast.records > 0);
}

} // namespace Sluice
